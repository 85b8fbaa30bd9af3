using System.Reflection;
using System.Reflection.Emit;

namespace DataForgeGateway.UnitTests.Architecture;

/// <summary>
/// The folders of the gateway depend one way: each only on folders in layers below its own. Read from the compiled
/// code (signatures and method bodies), so a fully qualified name or a lambda counts as much as a <c>using</c>.
/// </summary>
public sealed class FolderDependencyTests
{
    /// <summary>
    /// The layering, lowest first, as docs/architecture.md states it (its "Folders and layers" table): the one
    /// statement of it, which this test holds the code to.
    /// </summary>
    private static readonly string[][] Layers = DocumentedLayers();

    [Fact]
    public void The_documented_layering_names_each_layer_and_folder_once()
    {
        Assert.True(Layers.Length >= 5, "docs/architecture.md's table of layers was not found");
        var folders = Layers.SelectMany(folders => folders).ToList();
        Assert.Equal(folders.Count, folders.Distinct().Count());
        Assert.Contains("Program", Layers[^1]);
    }

    [Fact]
    public void Every_folder_depends_only_on_folders_in_lower_layers()
    {
        var layerOf = Layers.SelectMany((folders, layer) => folders.Select(folder => (folder, layer))).ToDictionary(p => p.folder, p => p.layer);
        var graph = FolderGraph.Of(typeof(Program).Assembly);

        Assert.Empty(graph.Keys.Except(layerOf.Keys));   // a new folder needs a place in the layering
        var wrong = graph
            .SelectMany(pair => pair.Value.Select(target => (from: pair.Key, to: target)))
            .Where(edge => layerOf[edge.to] >= layerOf[edge.from])
            .Select(edge => $"{edge.from} -> {edge.to}: {string.Join(", ", graph.Evidence(edge.from, edge.to).Take(3))}")
            .ToList();
        Assert.True(wrong.Count == 0, "Folders that reach up or sideways:\n" + string.Join("\n", wrong));
    }

    [Fact]
    public void The_graph_reader_sees_references_in_method_bodies()
    {
        // The test above can only fail if the reader finds edges: the gateway's top level uses every layer.
        var graph = FolderGraph.Of(typeof(Program).Assembly);
        Assert.Contains("Hosting", graph["Program"]);
        Assert.Contains("Routing", graph["Program"]);
        Assert.Contains("Settings", graph["Tokens"]);
    }

    /// <summary>Reads the rows <c>| n | `Folder/`, `Other/` | ... |</c> of docs/architecture.md into layers, in order.</summary>
    private static string[][] DocumentedLayers()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DataForgeGateway.sln")))
        {
            directory = directory.Parent;
        }

        var text = File.ReadAllText(Path.Combine(directory!.FullName, "docs", "architecture.md"));
        var table = text[text.IndexOf("## Folders and layers", StringComparison.Ordinal)..];
        return [.. table.Split('\n')
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length > 3 && int.TryParse(cells[1], out _))
            .GroupBy(cells => int.Parse(cells[1], System.Globalization.CultureInfo.InvariantCulture))
            .OrderBy(layer => layer.Key)
            .Select(layer => layer.SelectMany(cells => System.Text.RegularExpressions.Regex.Matches(cells[2], "`([A-Za-z]+)(?:/|\\.cs)`").Select(m => m.Groups[1].Value)).ToArray())];
    }

    /// <summary>Folder → folders it uses, with the types that make each edge.</summary>
    private sealed class FolderGraph : Dictionary<string, HashSet<string>>
    {
        private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => o.Value);

        private readonly Dictionary<(string, string), HashSet<string>> _evidence = [];

        public HashSet<string> Evidence(string from, string to) => _evidence[(from, to)];

        public static FolderGraph Of(Assembly assembly)
        {
            var graph = new FolderGraph();
            foreach (var type in assembly.GetTypes())
            {
                var from = FolderOf(type, assembly);
                if (from is null)
                {
                    continue;
                }

                if (!graph.ContainsKey(from))
                {
                    graph[from] = [];
                }

                foreach (var used in Referenced(type))
                {
                    if (FolderOf(used, assembly) is { } to && to != from)
                    {
                        graph[from].Add(to);
                        if (!graph._evidence.TryGetValue((from, to), out var evidence))
                        {
                            graph._evidence[(from, to)] = evidence = [];
                        }

                        evidence.Add($"{Outermost(type).Name} uses {Outermost(used).Name}");
                    }
                }
            }

            return graph;
        }

        private static Type Outermost(Type type)
        {
            while (type.DeclaringType is { } outer)
            {
                type = outer;
            }

            return type;
        }

        private static string? FolderOf(Type type, Assembly assembly)
        {
            type = Outermost(type);
            if (type.Assembly != assembly || type.Name.StartsWith('<') && type.Namespace is null)
            {
                return null;
            }

            if (type.Namespace is null)
            {
                return type.Name == "Program" ? "Program" : null;
            }

            var parts = type.Namespace.Split('.');
            return parts is ["DataForgeGateway", var folder, ..] ? folder : null;
        }

        private static IEnumerable<Type> Referenced(Type type)
        {
            const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            var found = new List<Type>();
            if (type.BaseType is { } baseType)
            {
                found.Add(baseType);
            }

            found.AddRange(type.GetInterfaces());
            found.AddRange(type.GetFields(all).Select(f => f.FieldType));
            found.AddRange(type.GetProperties(all).Select(p => p.PropertyType));
            foreach (var method in type.GetMethods(all).Cast<MethodBase>().Concat(type.GetConstructors(all)))
            {
                if (method is MethodInfo info)
                {
                    found.Add(info.ReturnType);
                }

                found.AddRange(method.GetParameters().Select(p => p.ParameterType));
                found.AddRange(FromBody(method));
            }

            return found.SelectMany(Unwrap);
        }

        private static IEnumerable<Type> Unwrap(Type type)
        {
            if (type.HasElementType)
            {
                foreach (var inner in Unwrap(type.GetElementType()!))
                {
                    yield return inner;
                }

                yield break;
            }

            yield return type;
            if (type.IsGenericType)
            {
                foreach (var inner in type.GetGenericArguments().SelectMany(Unwrap))
                {
                    yield return inner;
                }
            }
        }

        /// <summary>Types named by the method's instructions: calls, fields, casts, allocations.</summary>
        private static IEnumerable<Type> FromBody(MethodBase method)
        {
            var il = method.GetMethodBody()?.GetILAsByteArray();
            if (il is null)
            {
                yield break;
            }

            var typeArguments = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
            var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
            var position = 0;
            while (position < il.Length)
            {
                short value = il[position++];
                if (value == 0xFE)
                {
                    value = unchecked((short)(0xFE00 | il[position++]));
                }

                var opCode = OpCodesByValue[value];
                var operandSize = opCode.OperandType switch
                {
                    OperandType.InlineNone => 0,
                    OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                    OperandType.InlineVar => 2,
                    OperandType.InlineI8 or OperandType.InlineR => 8,
                    OperandType.InlineSwitch => 4 + (4 * BitConverter.ToInt32(il, position)),
                    _ => 4,
                };
                if (opCode.OperandType is OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok)
                {
                    var token = BitConverter.ToInt32(il, position);
                    MemberInfo? member = null;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                    }

                    switch (member)
                    {
                        case Type used:
                            yield return used;
                            break;
                        case FieldInfo field:
                            yield return field.DeclaringType!;
                            yield return field.FieldType;
                            break;
                        case MethodBase called:
                            yield return called.DeclaringType!;
                            if (called is MethodInfo { IsGenericMethod: true } generic)
                            {
                                foreach (var argument in generic.GetGenericArguments())
                                {
                                    yield return argument;
                                }
                            }

                            break;
                    }
                }

                position += operandSize;
            }
        }
    }
}
