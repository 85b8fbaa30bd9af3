using System.Text.Json.Nodes;
using DataForgeGateway.Hosting;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>
/// values.schema.json is closed at every level, so <c>helm install</c> stops on a typo instead of a pod finding it:
/// every object of the chart's own values refuses keys it does not list (Kubernetes objects passed through, such as
/// affinity, are left to the API server and say so), and under <c>gateway</c> each object lists exactly the keys the
/// gateway reads there (<see cref="ConfigurationSurface.GatewayKeys"/>), so a key added to the gateway and not to the
/// schema fails here rather than being refused by Helm. The render tests show typos refused.
/// </summary>
public sealed class ChartSchemaTests
{
    /// <summary>Keys the gateway reads that values must not set: secrets (from the Secret) and what the chart sets itself.</summary>
    private static readonly string[] KeptOutOfValues =
    [
        "Gateway:Environments:*:Auth0:ClientSecret", "Gateway:Environments:*:Auth0:PrivateKey", "Gateway:Tokens:EncryptionKey",
        "Gateway:Redis:ConnectionString", "Gateway:SecretsDirectory", "Gateway:SettingsFile", "Gateway:Management",
    ];

    private static readonly JsonObject Schema = (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(ConfigurationExampleTests.RepositoryRoot(), "helm", "dataforge-gateway", "values.schema.json")))!;

    [Fact]
    public void Every_object_of_the_charts_values_refuses_keys_it_does_not_list()
    {
        var open = new List<string>();
        Walk(Schema, "", (node, path) =>
        {
            if (IsObject(node) && !node.ContainsKey("additionalProperties") && !IsKubernetesObject(node))
            {
                open.Add(path.Length == 0 ? "(root)" : path);
            }
        });

        Assert.Empty(open);
    }

    [Fact]
    public void Under_gateway_each_object_lists_exactly_the_keys_the_gateway_reads_there()
    {
        var known = ConfigurationSurface.GatewayKeys.Where(key => !KeptOutOfValues.Any(kept => key == kept || key.StartsWith(kept + ":", StringComparison.Ordinal))).ToList();
        var wrong = new List<string>();
        var checkedObjects = 0;
        Walk((JsonObject)Schema["properties"]!["gateway"]!, "Gateway", (node, path) =>
        {
            if (!IsObject(node) || node["properties"] is not JsonObject properties)
            {
                return;
            }

            checkedObjects++;
            var listed = properties.Select(p => p.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var read = known.Where(k => k.StartsWith(path + ":", StringComparison.OrdinalIgnoreCase))
                .Select(k => k[(path.Length + 1)..].Split(':')[0]).ToHashSet(StringComparer.OrdinalIgnoreCase);
            wrong.AddRange(read.Except(listed).Select(k => $"{path}:{k} is read by the gateway and refused by the schema"));
            wrong.AddRange(listed.Except(read).Select(k => $"{path}:{k} is in the schema and read by no part of the gateway"));
        });

        Assert.Empty(wrong);
        Assert.True(checkedObjects > 20, $"only {checkedObjects} objects under gateway were checked");
    }

    /// <summary>Visits every schema node with its path: property names, <c>*</c> for a map's values, <c>#</c> for items.</summary>
    private static void Walk(JsonObject node, string path, Action<JsonObject, string> visit)
    {
        node = Resolve(node);
        visit(node, path);
        if (node["properties"] is JsonObject properties)
        {
            foreach (var (name, child) in properties)
            {
                Walk((JsonObject)child!, path.Length == 0 ? name : $"{path}:{name}", visit);
            }
        }

        if (node["additionalProperties"] is JsonObject values)
        {
            Walk(values, $"{path}:*", visit);
        }

        if (node["items"] is JsonObject items)
        {
            Walk(items, $"{path}:#", visit);
        }
    }

    private static JsonObject Resolve(JsonObject node) =>
        node["$ref"] is JsonValue reference && reference.GetValue<string>() is var target && target.StartsWith("#/definitions/", StringComparison.Ordinal)
            ? (JsonObject)Schema["definitions"]![target["#/definitions/".Length..]]!
            : node;

    private static bool IsObject(JsonObject node) => node["type"] is JsonValue type && type.GetValue<string>() == "object";

    private static bool IsKubernetesObject(JsonObject node) =>
        node["$comment"] is JsonValue comment && comment.GetValue<string>().StartsWith("Kubernetes", StringComparison.Ordinal);
}
