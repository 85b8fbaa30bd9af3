using DataForgeGateway.Hosting;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>
/// Docker and Helm do not run on this machine, so these check what can be checked: the image starts the gateway
/// with settings it reads, and the chart sets only keys the gateway binds, every required one, and no secret.
/// </summary>
public sealed partial class ShippingTests
{
    private static readonly string Root = ConfigurationExampleTests.RepositoryRoot();
    private static readonly string Chart = Path.Combine(Root, "helm", "dataforge-gateway");

    [Fact]
    public void The_image_starts_the_gateway_assembly_as_non_root_on_the_ports_it_exposes()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));

        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{typeof(Program).Assembly.GetName().Name}.dll\"]", dockerfile);
        Assert.Contains("USER $APP_UID", dockerfile);
        Assert.Matches(@"FROM mcr\.microsoft\.com/dotnet/aspnet:\$\{DOTNET_VERSION\}-\S*chiseled", dockerfile);
        var exposed = Regex.Match(dockerfile, @"^EXPOSE (.+)$", RegexOptions.Multiline).Groups[1].Value.Split(' ');
        Assert.Equal(["8080", "8081"], exposed);
        Assert.Contains("ASPNETCORE_HTTP_PORTS=8080", dockerfile);
        Assert.Contains("Gateway__Management__Url=http://*:8081", dockerfile);

        // Restore is its own layer: the project file is copied and restored before the sources.
        Assert.True(dockerfile.IndexOf("RUN dotnet restore", StringComparison.Ordinal) < dockerfile.IndexOf("COPY src/DataForgeGateway/ ", StringComparison.Ordinal));
        Assert.DoesNotMatch("(?i)(secret|password)\\s*=", dockerfile);
    }

    [Fact]
    public void The_image_builds_for_each_platform_on_the_builders_own_from_base_images_pinnable_by_digest_with_OCI_labels()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        var froms = Regex.Matches(dockerfile, @"^FROM (.+)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(2, froms.Count);
        Assert.StartsWith("--platform=$BUILDPLATFORM ", froms[0], StringComparison.Ordinal);
        Assert.EndsWith("${SDK_DIGEST:+@}${SDK_DIGEST} AS build", froms[0], StringComparison.Ordinal);
        Assert.EndsWith("${RUNTIME_DIGEST:+@}${RUNTIME_DIGEST} AS runtime", froms[1], StringComparison.Ordinal);
        Assert.Matches(@"(?m)^ARG SDK_DIGEST=", dockerfile);
        Assert.Matches(@"(?m)^ARG RUNTIME_DIGEST=", dockerfile);
        Assert.Matches(@"(?m)^ARG TARGETARCH$", dockerfile);
        Assert.Matches(@"RUN dotnet restore .* -a ""\$TARGETARCH""", dockerfile);
        Assert.Matches(@"RUN dotnet publish .* -a ""\$TARGETARCH""", dockerfile);
        foreach (var label in new[] { "title", "description", "version", "revision", "created", "source", "licenses", "base.name" })
        {
            Assert.Contains($"org.opencontainers.image.{label}=", dockerfile, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_setting_the_image_and_the_chart_give_by_environment_is_one_the_gateway_reads()
    {
        var dockerfile = File.ReadAllText(Path.Combine(Root, "Dockerfile"));
        var deployment = File.ReadAllText(Path.Combine(Chart, "templates", "deployment.yaml"));
        var fromImage = Regex.Matches(dockerfile, @"(Gateway__\w+)=").Select(m => m.Groups[1].Value);
        var fromChart = Regex.Matches(deployment, @"- name: ((Gateway|HostOptions)__\w+)").Select(m => m.Groups[1].Value);

        var keys = fromImage.Concat(fromChart).Select(name => name.Replace("__", ":", StringComparison.Ordinal)).ToList();

        Assert.Contains("Gateway:SecretsDirectory", keys);
        Assert.All(keys, key => Assert.True(ConfigurationSurface.IsKnown(key), $"{key} is not a key the gateway reads"));
    }

    [Fact]
    public void The_chart_values_set_only_keys_the_gateway_binds_every_required_one_and_no_secret()
    {
        var values = Yaml(Path.Combine(Chart, "values.yaml"));
        var settings = Flatten(values["gateway"], "Gateway").ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

        Assert.All(settings.Keys, key => Assert.True(ConfigurationSurface.IsKnown(key), $"values.yaml sets {key}, which the gateway does not read"));
        var environment = settings["Gateway:DefaultEnvironment"];
        foreach (var required in new[] { "BaseUrl", "Auth0:ClientId", "Auth0:Audience" })
        {
            Assert.False(string.IsNullOrEmpty(settings.GetValueOrDefault($"Gateway:Environments:{environment}:{required}")), $"values.yaml does not set {required}");
        }

        Assert.True(settings.ContainsKey($"Gateway:Environments:{environment}:Auth0:Domain") || settings.ContainsKey($"Gateway:Environments:{environment}:Auth0:TokenUrl"));
        Assert.DoesNotContain(settings.Keys, key => key.EndsWith("ClientSecret", StringComparison.OrdinalIgnoreCase) || key.EndsWith("ConnectionString", StringComparison.OrdinalIgnoreCase) || key.EndsWith("EncryptionKey", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("dataforge-gateway", ((YamlScalarNode)values["secrets"]["existingSecret"]).Value);
    }

    [Fact]
    public void The_chart_has_every_object_a_production_deployment_needs_and_takes_secrets_only_from_an_existing_Secret()
    {
        var templates = Directory.GetFiles(Path.Combine(Chart, "templates"), "*.yaml").ToDictionary(path => Path.GetFileName(path), File.ReadAllText);
        var kinds = templates.Values.SelectMany(t => Regex.Matches(t, @"^kind: (\w+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value)).ToHashSet();

        Assert.Superset(new HashSet<string> { "Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "ConfigMap" }, kinds);
        Assert.DoesNotContain("Secret", kinds);
        var deployment = templates["deployment.yaml"];
        Assert.Contains("secretName: {{ required", deployment);
        Assert.Contains("mountPath: /run/secrets/dataforge-gateway", deployment);
        Assert.Contains("value: /run/secrets/dataforge-gateway", deployment);
        Assert.Contains("readOnlyRootFilesystem: true", deployment);
        Assert.Contains("runAsNonRoot: true", deployment);
        Assert.Contains("path: /health/live", deployment);
        Assert.Contains("path: /health/ready", deployment);
        Assert.Equal(3, Regex.Count(deployment, "port: management")); // startup, liveness, readiness
        Assert.Contains("topologySpreadConstraints", deployment);
        Assert.Contains("preStop", deployment);
        Assert.DoesNotMatch(@"\.Values\.[\w.]*(?i:secret)(?<!existingSecret)\b", string.Join('\n', templates.Values).Replace(".Values.secrets.existingSecret", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Chart_yaml_and_values_yaml_parse_and_every_value_is_documented()
    {
        Assert.Equal("dataforge-gateway", ((YamlScalarNode)Yaml(Path.Combine(Chart, "Chart.yaml"))["name"]).Value);
        var lines = File.ReadAllLines(Path.Combine(Chart, "values.yaml"));
        var inGateway = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var match = Regex.Match(lines[i], @"^( {0,2})([A-Za-z][\w.-]*):");
            if (!match.Success)
            {
                continue;
            }

            inGateway = match.Groups[1].Length == 0 ? match.Groups[2].Value == "gateway" : inGateway;
            if (inGateway && match.Groups[1].Length > 0)
            {
                continue; // the gateway's own keys are documented in config/appsettings.example.json
            }

            var above = lines[..i].Reverse().FirstOrDefault(l => l.Trim().Length > 0) ?? "";
            var parentDocumented = match.Groups[1].Length > 0 && IsDocumentedBlock(lines, i);
            Assert.True(above.TrimStart().StartsWith('#') || parentDocumented, $"values.yaml line {i + 1} ({lines[i].Trim()}) has no comment");
        }
    }

    /// <summary>A nested key whose parent carries the comment for the whole block (resources: requests, limits).</summary>
    private static bool IsDocumentedBlock(string[] lines, int index)
    {
        var parent = Array.FindLastIndex(lines, index - 1, line => line.Length > 0 && char.IsLetter(line[0]));
        return parent > 0 && lines[parent - 1].StartsWith("# --", StringComparison.Ordinal);
    }

    private static IEnumerable<KeyValuePair<string, string?>> Flatten(YamlNode node, string prefix) => node switch
    {
        YamlMappingNode mapping => mapping.Children.Count == 0
            ? [new(prefix, null)]
            : mapping.Children.SelectMany(child => Flatten(child.Value, $"{prefix}:{((YamlScalarNode)child.Key).Value}")),
        YamlSequenceNode sequence => sequence.Children.Count == 0
            ? [new(prefix, null)]
            : sequence.Children.SelectMany((child, i) => Flatten(child, $"{prefix}:{i}")),
        YamlScalarNode scalar => [new(prefix, scalar.Value)],
        _ => [],
    };

    private static YamlNode Yaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents[0].RootNode;
    }
}
