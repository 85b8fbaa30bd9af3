using System.Text.RegularExpressions;
using DataForgeGateway.Api;

namespace DataForgeGateway.UnitTests.Architecture;

/// <summary>
/// The shape the house keeps the gateway's source in, read from the files themselves: small files, one transform a
/// file, the API's words only in <c>Api/</c>, and no clock but the injected one.
/// </summary>
public sealed partial class SourceShapeTests
{
    private const int MaxLines = 300;

    private static readonly string Root = Path.Combine(Repository(), "src", "DataForgeGateway");

    private static readonly (string Path, string[] Lines)[] Files =
        [.. Directory.EnumerateFiles(Root, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(path => (Path.GetRelativePath(Root, path).Replace('\\', '/'), File.ReadAllLines(path)))];

    [Fact]
    public void No_source_file_is_over_300_lines()
    {
        Assert.True(Files.Length > 50, "the gateway's source files were not found");
        var long_ = Files.Where(f => f.Lines.Length > MaxLines).Select(f => $"{f.Path}: {f.Lines.Length} lines").ToList();
        Assert.True(long_.Count == 0, $"Files over {MaxLines} lines:\n" + string.Join("\n", long_));
    }

    [Fact]
    public void A_file_that_holds_a_transform_holds_nothing_else()
    {
        var transforms = Files.Where(f => f.Lines.Any(line => TransformBase().IsMatch(line))).ToList();
        Assert.NotEmpty(transforms);
        var crowded = transforms
            .Select(f => (f.Path, Types: f.Lines.Where(line => TopLevelType().IsMatch(line)).ToList()))
            .Where(f => f.Types.Count != 1)
            .Select(f => $"{f.Path}: {f.Types.Count} types")
            .ToList();
        Assert.True(crowded.Count == 0, "Transforms that share their file:\n" + string.Join("\n", crowded));
    }

    [Fact]
    public void Operation_names_and_the_external_prefix_are_spelled_only_in_Api()
    {
        var words = DataForgeOperation.Names.Concat(["/external", "/external/", "external"]).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var spelled = Files
            .Where(f => !f.Path.StartsWith("Api/", StringComparison.Ordinal))
            .SelectMany(f => Code(f.Lines).SelectMany(line => StringLiteral().Matches(line.Text).Select(m => (f.Path, line.Number, Literal: m.Groups[1].Value))))
            .Where(hit => words.Contains(hit.Literal))
            .Select(hit => $"{hit.Path}:{hit.Number}: \"{hit.Literal}\"")
            .ToList();
        Assert.True(spelled.Count == 0, "The API's words outside Api/ (use DataForgeOperation, DataForgeRoute):\n" + string.Join("\n", spelled));
    }

    [Fact]
    public void No_clock_is_read_but_the_injected_one()
    {
        // The one exception: `keys new`, the command line that runs before any host (and its clock) exists.
        var reads = Files
            .Where(f => f.Path != "Callers/KeysCommand.cs")
            .SelectMany(f => Code(f.Lines).Where(line => ClockRead().IsMatch(line.Text)).Select(line => $"{f.Path}:{line.Number}: {line.Text.Trim()}"))
            .ToList();
        Assert.True(reads.Count == 0, "Clocks read directly (inject TimeProvider):\n" + string.Join("\n", reads));
    }

    [Fact]
    public void The_clock_rule_sees_a_direct_read()
    {
        Assert.Matches(ClockRead(), "var now = DateTimeOffset.UtcNow;");
        Assert.Matches(ClockRead(), "var t = TimeProvider.System.GetTimestamp();");
        Assert.DoesNotMatch(ClockRead(), "services.TryAddSingleton(TimeProvider.System);");
    }

    /// <summary>The lines of code, without comments (a whole-line comment, or what follows <c>//</c> outside a string).</summary>
    private static IEnumerable<(int Number, string Text)> Code(string[] lines) =>
        lines.Select((line, index) => (Number: index + 1, Text: WithoutComment(line))).Where(line => line.Text.Length > 0);

    private static string WithoutComment(string line)
    {
        var inString = false;
        for (var i = 0; i < line.Length - 1; i++)
        {
            if (line[i] == '"' && (i == 0 || line[i - 1] != '\\'))
            {
                inString = !inString;
            }
            else if (!inString && line[i] == '/' && line[i + 1] == '/')
            {
                return line[..i].TrimEnd();
            }
        }

        return line.TrimEnd();
    }

    private static string Repository()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "DataForgeGateway.sln")))
        {
            directory = directory.Parent;
        }

        return directory!.FullName;
    }

    [GeneratedRegex(@":\s*(RequestTransform|ResponseTransform|ITransformProvider)\b")]
    private static partial Regex TransformBase();

    [GeneratedRegex(@"^(public|internal|file)\s+(sealed\s+|static\s+|abstract\s+|partial\s+)*(class|record|interface|struct|enum)\s")]
    private static partial Regex TopLevelType();

    [GeneratedRegex("\"([^\"\\\\]*)\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\b(DateTime(Offset)?\.(UtcNow|Now|Today)|TimeProvider\.System\.|Stopwatch\.StartNew|Environment\.TickCount)")]
    private static partial Regex ClockRead();
}
