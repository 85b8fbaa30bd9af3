using DataForgeGateway.Callers;
using DataForgeGateway.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace DataForgeGateway.Tests.Callers;

public sealed class CallersOptionsValidatorTests
{
    private static readonly CallersOptions.Validator Validator = new(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:Environments:stage:BaseUrl"] = "https://x" })
        .Build());

    [Fact]
    public void No_callers_is_a_misconfiguration() =>
        Assert.Contains("Gateway:Callers must define at least one caller", Validate(new CallersOptions()));

    [Fact]
    public void A_malformed_hash_is_named_by_its_key()
    {
        var options = new CallersOptions();
        options.Callers["billing-svc"] = new CallerOptions { Keys = [new() { Sha256 = GatewayHost.Sha256("a") }, new() { Sha256 = "plain-text-key" }] };

        var failure = Validate(options);

        Assert.StartsWith("Gateway:Callers:billing-svc:Keys:1:Sha256 ", failure);
        Assert.DoesNotContain("plain-text-key", failure);
    }

    [Fact]
    public void One_key_for_two_callers_is_refused()
    {
        var options = new CallersOptions();
        options.Callers["a"] = new CallerOptions { Keys = [new() { Sha256 = GatewayHost.Sha256("shared") }] };
        options.Callers["b"] = new CallerOptions { Keys = [new() { Sha256 = GatewayHost.Sha256("shared") }] };

        Assert.Contains("Gateway:Callers:b:Keys:0:Sha256 is also a key of caller 'a'", Validate(options));
    }

    [Fact]
    public void An_environment_permission_must_name_a_configured_environment()
    {
        var options = new CallersOptions();
        options.Callers["a"] = new CallerOptions { Keys = [new() { Sha256 = GatewayHost.Sha256("a") }], Environments = ["stage", "prod", "*"] };

        Assert.Equal("Gateway:Callers:a:Environments:1 names an environment that is not under Gateway:Environments.", Validate(options));
    }

    private static string Validate(CallersOptions options) => string.Join('\n', Validator.Validate(null, options).Failures ?? []);
}
