using Microsoft.Extensions.Configuration;
using DataForgeGateway.Hosting;

namespace DataForgeGateway.UnitTests.Hosting;

/// <summary>An unknown key is named with the closest one the gateway knows at the same place.</summary>
public sealed class ConfigurationSurfaceTests
{
    [Theory]
    [InlineData("Gateway:Callers:billing-svc:ProjectId:0", "Gateway:Callers:billing-svc:ProjectIds:0")]
    [InlineData("Gateway:Redis:ConnectonString", "Gateway:Redis:ConnectionString")]
    [InlineData("Gateway:Environments:stage:Auth0:ClientSecrett", "Gateway:Environments:stage:Auth0:ClientSecret")]
    [InlineData("Gateway:RateLimit:Default:Burst", "Gateway:RateLimits:Default:Burst")]
    [InlineData("HostOptions:ShutdownTimout", "HostOptions:ShutdownTimeout")]
    [InlineData("Kestrel:Limits:Http2:MaxStreamPerConnection", "Kestrel:Limits:Http2:MaxStreamsPerConnection")]
    [InlineData("Kestrel:Limit:MaxRequestBodySize", "Kestrel:Limits:MaxRequestBodySize")]
    public void A_typo_is_answered_with_the_key_meant(string typo, string meant)
    {
        Assert.False(ConfigurationSurface.IsKnown(typo));
        Assert.Equal(meant, ConfigurationSurface.Suggest(typo));
    }

    [Theory]
    [InlineData("Gateway:Callers:billing-svc:Keys:0:Sha256", true)]
    [InlineData("GATEWAY:CALLERS:x:KEYS:12:SHA256", true)]
    [InlineData("Gateway:Callers:billing-svc:Keys:first:Sha256", false)]
    [InlineData("Gateway:Callers::Keys:0:Sha256", false)]
    [InlineData("Gateway:Callers:billing-svc", false)]
    [InlineData("Gateway:Environments", true)]
    [InlineData("Gateway:Environments:stage:Auth0:ExtraParameters:organization", true)]
    [InlineData("Gateway:Environments:stage:OperationTimeouts:source-pull", true)]
    [InlineData("Logging:LogLevel:Yarp", true)]
    [InlineData("Logging", false)]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", true)]
    [InlineData("Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond", true)]
    [InlineData("Kestrel:Endpoints:https:Url", true)]
    [InlineData("Gateway:Tokens:RequestTimeout:Extra", false)]
    [InlineData("Urls", true)]
    [InlineData("Urls:0", false)]
    public void The_pattern_tree_answers_as_each_pattern_read_as_a_regular_expression_would(string key, bool known)
    {
        Assert.Equal(ConfigurationSurface.Patterns.Any(p => p.IsMatch(key)), ConfigurationSurface.IsKnown(key));
        Assert.Equal(known, ConfigurationSurface.IsKnown(key));
    }

    [Fact]
    public void Nothing_close_is_suggested_for_a_key_unlike_any()
    {
        Assert.Null(ConfigurationSurface.Suggest("Gateway:Nonsense:Thing"));
        Assert.True(ConfigurationSurface.IsKnown("gateway:callers:billing-svc:keys:0:sha256"));
    }

    [Theory]
    [InlineData("HostOptions:ShutdownTimeout")]
    [InlineData("Kestrel:Limits:MaxRequestHeadersTotalSize")]
    [InlineData("Kestrel:Limits:Http2:MaxStreamsPerConnection")]
    [InlineData("Kestrel:Limits:MinRequestBodyDataRate:BytesPerSecond")]
    [InlineData("Kestrel:Endpoints:Https:Url")]
    [InlineData("Kestrel:Endpoints:Https:Certificate:Path")]
    [InlineData("Logging:LogLevel:Default")]
    public void The_frameworks_keys_the_gateway_documents_are_known(string key) => Assert.True(ConfigurationSurface.IsKnown(key));

    [Theory]
    [InlineData("Gatway:DefaultEnvironment", "Gatway:DefaultEnvironment is not a setting the gateway knows: did you mean Gateway:DefaultEnvironment?")]
    [InlineData("Gateways:Redis:ConnectionString", "Gateways:Redis:ConnectionString is not a setting the gateway knows: did you mean Gateway:Redis:ConnectionString?")]
    [InlineData("HostOption:ShutdownTimeout", "HostOption:ShutdownTimeout is not a setting the gateway knows: did you mean HostOptions:ShutdownTimeout?")]
    public void A_top_level_section_one_edit_from_a_known_one_is_refused_as_its_typo(string key, string line)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = "x", ["PATH"] = "/usr/bin", ["HOSTNAME"] = "pod-1" }).Build();

        Assert.Equal([line], ConfigurationSurface.UnknownKeys(configuration));
    }
}
