using System.Net;
using System.Text;
using DataForgeGateway.Settings;
using DataForgeGateway.Tests.Infrastructure;
using DataForgeGateway.Tokens;

namespace DataForgeGateway.Tests.Tokens;

/// <summary>Besides Auth0's JSON body: form bodies, HTTP Basic, scope and extra parameters, for any OAuth2 token endpoint.</summary>
public sealed class TokenRequestOptionsTests
{
    private static readonly Auth0Options Tenant = new()
    {
        TokenUrl = "https://idp.example/oauth2/token",
        ClientId = "client:1",
        ClientSecret = "s3cret/+",
        Audience = "https://api.example",
        Scope = "read:sources write:source-pull",
        ExtraParameters = { ["organization"] = "org_42" },
    };

    [Fact]
    public async Task The_JSON_body_carries_scope_and_extra_parameters()
    {
        using var request = Auth0TokenClient.BuildRequest(Tenant, TimeProvider.System.GetUtcNow());

        var body = System.Text.Json.JsonDocument.Parse(await request.Content!.ReadAsStringAsync()).RootElement;

        Assert.Equal("read:sources write:source-pull", body.GetProperty("scope").GetString());
        Assert.Equal("org_42", body.GetProperty("organization").GetString());
        Assert.Equal("client:1", body.GetProperty("client_id").GetString());
        Assert.Null(request.Headers.Authorization);
    }

    [Fact]
    public async Task A_form_body_with_HTTP_Basic_keeps_the_secret_out_of_the_body()
    {
        var tenant = Copy(Tenant, TokenRequestFormat.Form, ClientAuthentication.Basic);

        using var request = Auth0TokenClient.BuildRequest(tenant, TimeProvider.System.GetUtcNow());

        Assert.Equal("application/x-www-form-urlencoded", request.Content!.Headers.ContentType!.MediaType);
        var form = await request.Content.ReadAsStringAsync();
        Assert.Contains("grant_type=client_credentials", form);
        Assert.Contains("scope=read%3Asources+write%3Asource-pull", form);
        Assert.DoesNotContain("client_secret", form);
        Assert.Equal("Basic", request.Headers.Authorization!.Scheme);
        Assert.Equal("client%3A1:s3cret%2F%2B", Encoding.UTF8.GetString(Convert.FromBase64String(request.Headers.Authorization.Parameter!)));
    }

    [Theory]
    [InlineData("Json", "Body")]
    [InlineData("Form", "Body")]
    [InlineData("Form", "Basic")]
    [InlineData("Json", "Basic")]
    public async Task Every_combination_gets_a_token_from_a_real_endpoint(string format, string authentication)
    {
        await using var sandbox = await SandboxHost.StartAsync();
        await using var gateway = new GatewayHost(sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Environments:stage:Auth0:RequestFormat"] = format,
            ["Gateway:Environments:stage:Auth0:ClientAuthentication"] = authentication,
            ["Gateway:Environments:stage:Auth0:Scope"] = "read:sources",
        });
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, sandbox.Recorder.TokensIssued);
    }

    private static Auth0Options Copy(Auth0Options source, TokenRequestFormat format, ClientAuthentication authentication) => new()
    {
        TokenUrl = source.TokenUrl,
        ClientId = source.ClientId,
        ClientSecret = source.ClientSecret,
        Audience = source.Audience,
        Scope = source.Scope,
        ExtraParameters = new Dictionary<string, string>(source.ExtraParameters),
        RequestFormat = format,
        ClientAuthentication = authentication,
    };
}
