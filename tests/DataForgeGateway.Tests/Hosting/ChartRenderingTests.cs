using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace DataForgeGateway.Tests.Hosting;

/// <summary>
/// The chart rendered as <c>helm template</c> renders it (Go's text/template and sprig, Helm's own functions, the
/// values checked against values.schema.json: tests/helm-render), and the rendered objects checked. What stays
/// untested here: that a cluster accepts them, and the image they run.
/// </summary>
public sealed class ChartRenderingTests : IClassFixture<ChartRenderingTests.Renderer>
{
    private const string ValidValues = """
        gateway:
          Callers:
            billing-svc:
              Keys:
                - Id: abcd1234efgh
                  Sha256: "5f1e0c2d9b8a7f6e5d4c3b2a19080706f5e4d3c2b1a09f8e7d6c5b4a39281706"
        monitoring:
          serviceMonitor:
            enabled: true
        """;

    private readonly Renderer _renderer;

    public ChartRenderingTests(Renderer renderer) => _renderer = renderer;

    [Fact]
    public async Task Selectors_match_the_pods_and_probes_use_the_management_port()
    {
        var objects = await _renderer.RenderAsync(ValidValues);
        var deployment = Single(objects, "Deployment");
        var podLabels = Map(deployment, "spec", "template", "metadata", "labels");
        var selector = Map(deployment, "spec", "selector", "matchLabels");

        Assert.NotEmpty(selector);
        Assert.All(selector, label => Assert.Equal(label.Value, podLabels[label.Key]));
        foreach (var (kind, path) in new[] { ("Service", new[] { "spec", "selector" }), ("PodDisruptionBudget", new[] { "spec", "selector", "matchLabels" }), ("NetworkPolicy", new[] { "spec", "podSelector", "matchLabels" }), ("ServiceMonitor", new[] { "spec", "selector", "matchLabels" }) })
        {
            Assert.Equal(selector, Map(Single(objects, kind), path));
        }

        var container = (YamlMappingNode)((YamlSequenceNode)Node(deployment, "spec", "template", "spec", "containers"))[0];
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            Assert.Equal("management", Text(container, probe, "httpGet", "port"));
            Assert.NotNull(Text(container, probe, "timeoutSeconds"));
        }

        Assert.Equal("/metrics", Text((YamlMappingNode)((YamlSequenceNode)Node(Single(objects, "ServiceMonitor"), "spec", "endpoints"))[0], "path"));
        Assert.Equal(Text(deployment, "spec", "template", "spec", "serviceAccountName"), Text(Single(objects, "ServiceAccount"), "metadata", "name"));
    }

    [Fact]
    public async Task The_settings_ConfigMap_is_mounted_as_a_folder_the_gateway_rereads_so_keys_rotate_without_a_restart()
    {
        var objects = await _renderer.RenderAsync(ValidValues);
        var deployment = Single(objects, "Deployment");
        var pod = (YamlMappingNode)Node(deployment, "spec", "template", "spec");
        var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"])[0];
        var mount = Assert.Single(((YamlSequenceNode)container["volumeMounts"]).Cast<YamlMappingNode>(), m => m["name"].ToString() == "settings");
        var volume = Assert.Single(((YamlSequenceNode)pod["volumes"]).Cast<YamlMappingNode>(), v => v["name"].ToString() == "settings");

        Assert.False(mount.Children.ContainsKey(new YamlScalarNode("subPath")), "a subPath mount is never updated in place");
        var file = Env(objects)["Gateway__SettingsFile"];
        Assert.Equal(mount["mountPath"].ToString(), Path.GetDirectoryName(file));
        Assert.Equal(Text(Single(objects, "ConfigMap"), "metadata", "name"), Text(volume, "configMap", "name"));
        Assert.NotNull(Text(Single(objects, "ConfigMap"), "data", Path.GetFileName(file)));
        Assert.Null(Text(deployment, "spec", "template", "metadata", "annotations", "checksum/config"));

        // Asked for, a change of values.gateway rolls the pods instead.
        var rolling = Single(await _renderer.RenderAsync(ValidValues + "\nrollout:\n  restartOnSettingsChange: true\n"), "Deployment");
        Assert.NotNull(Text(rolling, "spec", "template", "metadata", "annotations", "checksum/config"));
    }

    [Fact]
    public async Task A_rollout_never_takes_out_a_serving_pod_before_its_replacement_is_ready_and_probes_mean_what_the_gateway_means()
    {
        var deployment = Single(await _renderer.RenderAsync(ValidValues), "Deployment");
        var container = (YamlMappingNode)((YamlSequenceNode)Node(deployment, "spec", "template", "spec", "containers"))[0];

        Assert.Equal("0", Text(deployment, "spec", "strategy", "rollingUpdate", "maxUnavailable"));
        Assert.True(int.Parse(Text(deployment, "spec", "minReadySeconds")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.NotNull(Text(deployment, "spec", "progressDeadlineSeconds"));

        // Liveness is the process alone (a restart fixes no outage); readiness is "can serve now".
        Assert.Equal("/health/live", Text(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/live", Text(container, "startupProbe", "httpGet", "path"));
        Assert.Equal("/health/ready", Text(container, "readinessProbe", "httpGet", "path"));
    }

    [Fact]
    public async Task The_drain_fits_the_grace_period_and_a_grace_period_too_short_is_refused()
    {
        var objects = await _renderer.RenderAsync(ValidValues + "\nterminationGracePeriodSeconds: 60\npreStopSeconds: 15\n");
        var container = (YamlMappingNode)((YamlSequenceNode)Node(Single(objects, "Deployment"), "spec", "template", "spec", "containers"))[0];
        var env = ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>().ToDictionary(e => e["name"].ToString(), e => e["value"].ToString());

        var drain = TimeSpan.Parse(env["HostOptions__ShutdownTimeout"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(drain.TotalSeconds + 15 < 60, $"preStop 15 s + drain {drain} must end before the 60 s grace period");
        Assert.Equal("json", env["Logging__Console__FormatterName"]);

        var refused = await _renderer.FailsAsync(ValidValues + "\nterminationGracePeriodSeconds: 12\npreStopSeconds: 10\n");
        Assert.Contains("terminationGracePeriodSeconds (12) must exceed preStopSeconds (10)", refused);
    }

    [Fact]
    public async Task Traces_are_sampled_at_the_charts_ratio_unless_extra_env_chooses_a_sampler()
    {
        var byDefault = Env(await _renderer.RenderAsync(ValidValues));
        var chosen = await _renderer.RenderAsync(ValidValues + "\nextraEnv:\n  - name: OTEL_TRACES_SAMPLER\n    value: parentbased_always_on\n");
        var chosenEnv = ((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)Node(Single(chosen, "Deployment"), "spec", "template", "spec", "containers"))[0])["env"]).Cast<YamlMappingNode>().ToList();

        Assert.Equal("parentbased_traceidratio", byDefault["OTEL_TRACES_SAMPLER"]);
        Assert.Equal("0.1", byDefault["OTEL_TRACES_SAMPLER_ARG"]);
        Assert.Equal("parentbased_always_on", Assert.Single(chosenEnv, e => e["name"].ToString() == "OTEL_TRACES_SAMPLER")["value"].ToString());
        Assert.DoesNotContain(chosenEnv, e => e["name"].ToString() == "OTEL_TRACES_SAMPLER_ARG");
        Assert.Contains("traceSampleRatio", await _renderer.FailsAsync(ValidValues + "\ntraceSampleRatio: 2\n"));
    }

    private static Dictionary<string, string> Env(List<YamlMappingNode> objects) =>
        ((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)Node(Single(objects, "Deployment"), "spec", "template", "spec", "containers"))[0])["env"])
            .Cast<YamlMappingNode>().ToDictionary(e => e["name"].ToString(), e => e["value"].ToString());

    [Theory]
    [InlineData("gateway:\n  Callers: {}\n", "Must have at least 1 properties")]
    [InlineData("ports:\n  proxy: \"8080\"\n  management: 8081\n", "ports.proxy")]
    [InlineData("gateway:\n  Tokens:\n    RequestTimeout: 10s\n", "gateway.Tokens.RequestTimeout")]
    [InlineData("gateway:\n  Environments:\n    stage:\n      Auth0:\n        ClientSecret: in-values-by-mistake\n", "gateway.Environments.stage.Auth0")]
    [InlineData("gateway:\n  Redis:\n    ConnectionString: redis:6379,password=x\n", "gateway.Redis")]
    [InlineData("gateway:\n  Environments:\n    stage:\n      Auth0:\n        PrivateKey: pem-in-values-by-mistake\n", "gateway.Environments.stage.Auth0")]
    [InlineData("gateway:\n  WorkloadIdentity:\n    Issuers:\n      cluster:\n        Issuer: https://kubernetes.default.svc\n", "Audience")]
    [InlineData("replicaCont: 3\n", "replicaCont")]
    [InlineData("autoscaling:\n  enabeld: false\n", "enabeld")]
    [InlineData("image:\n  tagg: v1\n", "tagg")]
    [InlineData("networkPolicy:\n  egress:\n    redis:\n      prot: 6380\n", "prot")]
    [InlineData("service:\n  portt: 80\n", "portt")]
    [InlineData("networkPolicy:\n  egress:\n    otlp:\n      peer: []\n", "peer")]
    [InlineData("securityContext:\n  openShift: true\n", "openShift")]
    [InlineData("gateway:\n  Tokens:\n    RequestTimout: \"00:00:10\"\n", "RequestTimout")]
    [InlineData("gateway:\n  Environments:\n    stage:\n      BaseUrl: https://stage.api.dataforgedev.com\n      Auth0:\n        ClinetId: x\n", "ClinetId")]
    [InlineData("gateway:\n  Callers:\n    billing-svc:\n      Keys:\n        - Sha256: \"5f1e0c2d9b8a7f6e5d4c3b2a19080706f5e4d3c2b1a09f8e7d6c5b4a39281706\"\n          Expirs: \"2027-01-01\"\n", "Expirs")]
    [InlineData("gateway:\n  Redis:\n    InstanceNmae: x\n", "InstanceNmae")]
    public async Task Values_the_schema_refuses_stop_the_render_naming_the_value(string values, string named)
    {
        var refused = await _renderer.FailsAsync(values.StartsWith("gateway:\n  Callers", StringComparison.Ordinal) ? values : values + ValidValues.Replace("gateway:\n", values.StartsWith("gateway:", StringComparison.Ordinal) ? "" : "gateway:\n", StringComparison.Ordinal));

        Assert.Contains(named, refused);
    }

    [Fact]
    public async Task A_workload_caller_needs_no_key_and_the_issuers_JWKS_ConfigMap_is_mounted_as_a_folder()
    {
        const string values = """
            gateway:
              DefaultEnvironment: stage
              Environments:
                stage:
                  BaseUrl: https://stage.api.dataforgedev.com
                  Auth0: { Domain: dataforgedev.us.auth0.com, ClientId: c, Audience: a, ClientAuthentication: PrivateKeyJwt }
              WorkloadIdentity:
                Issuers:
                  cluster: { Issuer: https://kubernetes.default.svc.cluster.local, Audience: dataforge-gateway, JwksFile: /etc/dataforge-gateway/workload-jwks/jwks.json }
              Callers:
                reporting-svc:
                  Workloads: [ { Issuer: cluster, Subject: "system:serviceaccount:reporting:reporting-svc" } ]
            workloadIdentity:
              jwksConfigMap: cluster-jwks
            """;

        var objects = await _renderer.RenderAsync(values);

        var settings = Text(Single(objects, "ConfigMap"), "data", "appsettings.Production.json")!;
        Assert.Contains("system:serviceaccount:reporting:reporting-svc", settings, StringComparison.Ordinal);
        var pod = (YamlMappingNode)Node(Single(objects, "Deployment"), "spec", "template", "spec");
        var mount = Assert.Single(((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)pod["containers"])[0])["volumeMounts"]).Cast<YamlMappingNode>(), m => m["name"].ToString() == "workload-jwks");
        Assert.Equal("/etc/dataforge-gateway/workload-jwks", mount["mountPath"].ToString());
        Assert.False(mount.Children.ContainsKey(new YamlScalarNode("subPath")), "a subPath mount is never updated in place");
        var volume = Assert.Single(((YamlSequenceNode)pod["volumes"]).Cast<YamlMappingNode>(), v => v["name"].ToString() == "workload-jwks");
        Assert.Equal("cluster-jwks", Text(volume, "configMap", "name"));
        Assert.Contains("\"Workloads\"", settings, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callers_kept_in_the_Secret_are_allowed_instead_of_values()
    {
        var objects = await _renderer.RenderAsync("secrets:\n  existingSecret: dataforge-gateway\n  callersInSecret: true\n");

        Assert.Single(objects, o => Kind(o) == "Deployment");
    }

    [Fact]
    public async Task No_secret_reaches_the_ConfigMap_and_egress_is_limited_to_DNS_Redis_and_HTTPS()
    {
        var objects = await _renderer.RenderAsync(ValidValues + "\nnetworkPolicy:\n  egress:\n    redis:\n      cidrs: [\"10.20.0.0/16\"]\n");
        var settings = Text(Single(objects, "ConfigMap"), "data", "appsettings.Production.json")!;

        foreach (var secret in new[] { "ClientSecret", "ConnectionString", "EncryptionKey", "password" })
        {
            Assert.DoesNotContain(secret, settings, StringComparison.OrdinalIgnoreCase);
        }

        var egress = (YamlSequenceNode)Node(Single(objects, "NetworkPolicy"), "spec", "egress");
        var ports = egress.Cast<YamlMappingNode>().SelectMany(rule => ((YamlSequenceNode)rule["ports"]).Cast<YamlMappingNode>().Select(p => p["port"].ToString())).ToHashSet();
        Assert.Equal(["53", "6379", "443"], ports);
    }

    [Fact]
    public async Task The_NetworkPolicy_admits_the_ingress_controller_and_the_callers_named_and_nobody_else_on_the_proxy_port()
    {
        var defaults = Single(await _renderer.RenderAsync(ValidValues), "NetworkPolicy");
        var proxyRule = Assert.Single(Rules(defaults, "ingress"), r => Ports(r).SequenceEqual(["proxy"]));
        Assert.Equal(["namespaceSelector:kubernetes.io/metadata.name=ingress-nginx"], Peers(proxyRule, "from"));
        Assert.Equal(["namespaceSelector:kubernetes.io/metadata.name=monitoring"], Peers(Assert.Single(Rules(defaults, "ingress"), r => Ports(r).SequenceEqual(["management"])), "from"));

        var policy = Single(await _renderer.RenderAsync(ValidValues + """

            networkPolicy:
              ingressPodSelector: { app.kubernetes.io/name: ingress-nginx }
              callers:
                - namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: billing } }
                  podSelector: { matchLabels: { app: billing-svc } }
                - namespaceSelector: { matchLabels: { dataforge-gateway/caller: "true" } }
              extraIngress:
                - from: [ { ipBlock: { cidr: 10.9.0.0/24 } } ]
                  ports: [ { port: proxy } ]
            """), "NetworkPolicy");

        Assert.Equal(
            ["namespaceSelector:kubernetes.io/metadata.name=ingress-nginx podSelector:app.kubernetes.io/name=ingress-nginx", "namespaceSelector:kubernetes.io/metadata.name=billing podSelector:app=billing-svc", "namespaceSelector:dataforge-gateway/caller=true"],
            Peers(Rules(policy, "ingress")[0], "from"));
        Assert.Equal(["ipBlock:10.9.0.0/24"], Peers(Rules(policy, "ingress")[^1], "from"));
        Assert.Contains("list in-cluster callers that use the Service\nin networkPolicy.callers", await _renderer.NotesAsync(ValidValues), StringComparison.Ordinal);

        // No ingress controller and no caller: nothing may reach the proxy port (and NOTES.txt says so).
        var closed = await _renderer.RenderAsync(ValidValues + "\nnetworkPolicy:\n  ingressNamespaceSelector: null\n");
        Assert.DoesNotContain(Rules(Single(closed, "NetworkPolicy"), "ingress"), r => Ports(r).Contains("proxy"));
    }

    [Theory]
    [InlineData("redis: { port: 6379, cidrs: [10.20.0.0/16] }", "6379", "ipBlock:10.20.0.0/16")]
    [InlineData("redis: { ports: [26379], podSelector: { app: redis } }", "6379,26379", "podSelector:app=redis")]
    [InlineData("redis: { namespaceSelector: { kubernetes.io/metadata.name: redis } }", "6379", "namespaceSelector:kubernetes.io/metadata.name=redis")]
    [InlineData("redis: { port: 7000, ports: [7001, 7002], podSelector: { app: redis-cluster }, namespaceSelector: { team: data } }", "7000,7001,7002", "podSelector:app=redis-cluster namespaceSelector:team=data")]
    public async Task Egress_reaches_Redis_single_Sentinel_or_Cluster_by_network_pods_or_namespaces(string redis, string ports, string peer)
    {
        var policy = Single(await _renderer.RenderAsync(ValidValues + $"\nnetworkPolicy:\n  egress:\n    {redis}\n"), "NetworkPolicy");

        var rule = Assert.Single(Rules(policy, "egress"), r => Ports(r).Contains(ports.Split(',')[0]));
        Assert.Equal(ports.Split(','), Ports(rule));
        Assert.Equal([peer], Peers(rule, "to"));
    }

    [Fact]
    public async Task Egress_covers_NodeLocal_DNS_chosen_HTTPS_destinations_and_the_OTLP_collector_configured()
    {
        var defaults = Rules(Single(await _renderer.RenderAsync(ValidValues), "NetworkPolicy"), "egress");
        Assert.Equal(["53", "53", "443"], defaults.SelectMany(Ports));
        Assert.DoesNotContain(defaults, r => Ports(r).Contains("6379"));

        var policy = Single(await _renderer.RenderAsync(ValidValues + """

            extraEnv:
              - { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: "http://otel-collector.monitoring:4317" }
            networkPolicy:
              egress:
                dnsPeers: [ { ipBlock: { cidr: 169.254.20.10/32 } } ]
                httpsPeers: [ { ipBlock: { cidr: 0.0.0.0/0, except: [10.0.0.0/8] } } ]
                otlp:
                  peers: [ { namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: monitoring } } } ]
                extra:
                  - to: [ { ipBlock: { cidr: 10.0.0.1/32 } } ]
                    ports: [ { port: 6443, protocol: TCP } ]
            """), "NetworkPolicy");
        var egress = Rules(policy, "egress");

        Assert.Equal(["namespaceSelector:kubernetes.io/metadata.name=kube-system", "ipBlock:169.254.20.10/32"], Peers(Assert.Single(egress, r => Ports(r).Contains("53")), "to"));
        var https = Assert.Single(egress, r => Ports(r).SequenceEqual(["443"]));
        Assert.Equal(["ipBlock:0.0.0.0/0 except 10.0.0.0/8"], Peers(https, "to"));
        Assert.Equal(["namespaceSelector:kubernetes.io/metadata.name=monitoring"], Peers(Assert.Single(egress, r => Ports(r).SequenceEqual(["4317"])), "to"));
        Assert.Equal(["ipBlock:10.0.0.1/32"], Peers(Assert.Single(egress, r => Ports(r).SequenceEqual(["6443"])), "to"));

        // An endpoint that names no port uses its scheme's; an explicit port wins; no peers: any destination on it.
        var https443 = Rules(Single(await _renderer.RenderAsync(ValidValues + "\nextraEnv:\n  - { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: \"https://otlp.example.com\" }\n"), "NetworkPolicy"), "egress");
        Assert.Equal(2, https443.Count(r => Ports(r).SequenceEqual(["443"])));
        var chosen = Rules(Single(await _renderer.RenderAsync(ValidValues + "\nextraEnv:\n  - { name: OTEL_EXPORTER_OTLP_ENDPOINT, value: \"http://collector:4317\" }\nnetworkPolicy:\n  egress:\n    otlp: { port: 4318 }\n"), "NetworkPolicy"), "egress");
        var otlp = Assert.Single(chosen, r => Ports(r).SequenceEqual(["4318"]));
        Assert.False(otlp.Children.ContainsKey(new YamlScalarNode("to")), "no peers: any destination on the collector's port");
    }

    [Fact]
    public async Task The_pod_takes_the_knobs_users_of_other_gateway_charts_expect()
    {
        var objects = await _renderer.RenderAsync(ValidValues + """

            image: { digest: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }
            podLabels: { team: platform }
            priorityClassName: platform-critical
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [ { matchExpressions: [ { key: pool, operator: In, values: [gateway] } ] } ] } } }
            topologySpreadConstraints: [ { maxSkew: 2, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule } ]
            extraVolumes: [ { name: company-ca, configMap: { name: company-ca } } ]
            extraVolumeMounts: [ { name: company-ca, mountPath: /etc/ssl/company, readOnly: true } ]
            extraContainers: [ { name: log-shipper, image: "fluent/fluent-bit:3.1" } ]
            initContainers: [ { name: wait-for-redis, image: "busybox:1.36" } ]
            monitoring:
              serviceMonitor:
                enabled: true
                relabelings: [ { sourceLabels: [__meta_kubernetes_pod_node_name], targetLabel: node } ]
                metricRelabelings: [ { sourceLabels: [__name__], regex: "dotnet_.*", action: drop } ]
            """);
        var deployment = Single(objects, "Deployment");
        var pod = (YamlMappingNode)Node(deployment, "spec", "template", "spec");
        var containers = ((YamlSequenceNode)pod["containers"]).Cast<YamlMappingNode>().ToList();

        Assert.Equal("registry.internal/dataforge-gateway@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", containers[0]["image"].ToString());
        Assert.Equal("platform", Text(deployment, "spec", "template", "metadata", "labels", "team"));
        Assert.Equal(Map(deployment, "spec", "selector", "matchLabels").Count, Map(deployment, "spec", "template", "metadata", "labels").Count - 1);
        Assert.Equal("platform-critical", pod["priorityClassName"].ToString());
        Assert.Equal("pool", Text((YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlSequenceNode)Node(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"))[0])["matchExpressions"])[0], "key"));
        var spread = Assert.Single(((YamlSequenceNode)pod["topologySpreadConstraints"]).Cast<YamlMappingNode>());
        Assert.Equal("DoNotSchedule", spread["whenUnsatisfiable"].ToString());
        Assert.Equal(Map(deployment, "spec", "selector", "matchLabels"), Map(spread, "labelSelector", "matchLabels"));
        Assert.Contains(((YamlSequenceNode)pod["volumes"]).Cast<YamlMappingNode>(), v => v["name"].ToString() == "company-ca");
        Assert.Contains(((YamlSequenceNode)containers[0]["volumeMounts"]).Cast<YamlMappingNode>(), m => m["mountPath"].ToString() == "/etc/ssl/company");
        Assert.Equal(["gateway", "log-shipper"], containers.Select(c => c["name"].ToString()));
        Assert.Equal("wait-for-redis", ((YamlMappingNode)((YamlSequenceNode)pod["initContainers"])[0])["name"].ToString());
        var endpoint = (YamlMappingNode)((YamlSequenceNode)Node(Single(objects, "ServiceMonitor"), "spec", "endpoints"))[0];
        Assert.Equal("node", Text((YamlMappingNode)((YamlSequenceNode)endpoint["relabelings"])[0], "targetLabel"));
        Assert.Equal("drop", Text((YamlMappingNode)((YamlSequenceNode)endpoint["metricRelabelings"])[0], "action"));

        // Without them, the chart's own spread across nodes and zones, and the image by tag.
        var plain = (YamlMappingNode)Node(Single(await _renderer.RenderAsync(ValidValues), "Deployment"), "spec", "template", "spec");
        Assert.Equal(2, ((YamlSequenceNode)plain["topologySpreadConstraints"]).Children.Count);
        Assert.EndsWith(":0.1.0", ((YamlMappingNode)((YamlSequenceNode)plain["containers"])[0])["image"].ToString(), StringComparison.Ordinal);
    }

    private static List<YamlMappingNode> Rules(YamlMappingNode policy, string direction) =>
        [.. ((YamlSequenceNode)Node(policy, "spec", direction)).Cast<YamlMappingNode>()];

    private static List<string> Ports(YamlMappingNode rule) =>
        [.. ((YamlSequenceNode)rule["ports"]).Cast<YamlMappingNode>().Select(p => p["port"].ToString())];

    /// <summary>A rule's peers, one line each: "namespaceSelector:k=v podSelector:k=v" or "ipBlock:cidr except ...".</summary>
    private static List<string> Peers(YamlMappingNode rule, string key) =>
        [.. ((YamlSequenceNode)rule[key]).Cast<YamlMappingNode>().Select(peer => string.Join(' ', peer.Children.Select(part => part.Key.ToString() switch
        {
            "ipBlock" => "ipBlock:" + Text((YamlMappingNode)part.Value, "cidr") + (((YamlMappingNode)part.Value).Children.TryGetValue(new YamlScalarNode("except"), out var except) ? " except " + string.Join(',', ((YamlSequenceNode)except).Select(e => e.ToString())) : ""),
            var selector => selector + ":" + string.Join(',', Map((YamlMappingNode)part.Value, "matchLabels").Select(l => $"{l.Key}={l.Value}")),
        })))];

    [Fact]
    public async Task OpenShift_mode_leaves_user_and_group_ids_to_the_platform_and_an_old_cluster_is_refused()
    {
        var objects = await _renderer.RenderAsync(ValidValues + "\nsecurityContext:\n  openshift: true\n");
        var podSecurity = Map(Single(objects, "Deployment"), "spec", "template", "spec", "securityContext");

        Assert.DoesNotContain("runAsUser", podSecurity.Keys);
        Assert.Equal("true", podSecurity["runAsNonRoot"]);
        Assert.Contains("requires kubeVersion", await _renderer.FailsAsync(ValidValues, kubeVersion: "1.28.0"));
    }

    private static List<YamlMappingNode> Documents(string rendered)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(rendered));
        return [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>()];
    }

    private static string Kind(YamlMappingNode node) => node["kind"].ToString();

    private static YamlMappingNode Single(List<YamlMappingNode> objects, string kind) => Assert.Single(objects, o => Kind(o) == kind);

    private static YamlNode Node(YamlMappingNode node, params string[] path) =>
        path.Aggregate((YamlNode)node, (current, key) => ((YamlMappingNode)current)[key]);

    private static string? Text(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping || !mapping.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current.ToString();
    }

    private static Dictionary<string, string> Map(YamlMappingNode node, params string[] path) =>
        ((YamlMappingNode)Node(node, path)).Children.ToDictionary(c => c.Key.ToString(), c => c.Value.ToString());

    /// <summary>Builds tests/helm-render once (Debian's Go and sprig; .ci/run installs them) and renders the chart with it.</summary>
    public sealed class Renderer : IAsyncLifetime
    {
        private readonly string _binary = Path.Combine(Path.GetTempPath(), $"helm-render-{Guid.NewGuid():N}");
        private readonly string _root = ConfigurationExampleTests.RepositoryRoot();

        public async Task InitializeAsync()
        {
            var (exit, output) = await RunAsync("bash", Path.Combine(_root, "tests", "helm-render", "build.sh"), _binary);
            if (exit != 0)
            {
                throw new InvalidOperationException($"helm-render did not build (apt-get install -y golang-go golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev golang-k8s-sigs-yaml-dev): {output}");
            }
        }

        public Task DisposeAsync()
        {
            File.Delete(_binary);
            return Task.CompletedTask;
        }

        public async Task<List<YamlMappingNode>> RenderAsync(string values, string kubeVersion = "1.31.0")
        {
            var (exit, output) = await RenderRawAsync(values, kubeVersion);
            Assert.True(exit == 0, output);
            return Documents(output);
        }

        /// <summary>What <c>helm install</c> prints after installing: NOTES.txt rendered with these values.</summary>
        public async Task<string> NotesAsync(string values)
        {
            var notes = Path.GetTempFileName();
            try
            {
                var (exit, output) = await RenderRawAsync(values, "1.31.0", "--notes", notes);
                Assert.True(exit == 0, output);
                return await File.ReadAllTextAsync(notes);
            }
            finally
            {
                File.Delete(notes);
            }
        }

        public async Task<string> FailsAsync(string values, string kubeVersion = "1.31.0")
        {
            var (exit, output) = await RenderRawAsync(values, kubeVersion);
            Assert.True(exit != 0, $"The chart rendered: {output}");
            return output;
        }

        private async Task<(int Exit, string Output)> RenderRawAsync(string values, string kubeVersion, params string[] more)
        {
            var file = Path.GetTempFileName();
            await File.WriteAllTextAsync(file, values);
            try
            {
                return await RunAsync(_binary, [Path.Combine(_root, "helm", "dataforge-gateway"), "-f", file, "--kube-version", kubeVersion, .. more]);
            }
            finally
            {
                File.Delete(file);
            }
        }

        private static async Task<(int Exit, string Output)> RunAsync(string program, params string[] arguments)
        {
            var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, await output + await errors);
        }
    }
}
