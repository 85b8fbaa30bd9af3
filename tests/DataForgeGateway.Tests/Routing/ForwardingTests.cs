using System.Net;
using System.Text;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Routing;

public sealed class ForwardingTests : GatewayTest
{
    public static TheoryData<string, string, string, string, string> Operations => new()
    {
        // method, path, query, body, what DataForge answers with
        { "POST", "/external/source-pull/19643", "", "", "Pull data now started for source 19643" },
        { "POST", "/external/inputs-filtered", "", """{"source_id":"19709","limit":"100","effective_filter":"false"}""", "1970901" },
        { "GET", "/external/sources", "?projectId=1", "", "demo_customers" },
        { "GET", "/external/sources-filtered-by-name/demo", "?projectId=2", "", "billing_demo_payments" },
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task Each_operation_arrives_with_method_path_query_and_body_intact_and_the_gateway_token(
        string method, string path, string query, string body, string expected)
    {
        using var caller = Gateway.CreateCaller();
        using var request = new HttpRequestMessage(new HttpMethod(method), path + query);
        if (body.Length > 0)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(expected, await response.Content.ReadAsStringAsync());
        var arrived = Assert.Single(Sandbox.Recorder.Requests);
        Assert.Equal((method, path, query, body), (arrived.Method, arrived.Path, arrived.QueryString, arrived.Body));
        Assert.StartsWith("Bearer ", arrived.Authorization);
        Assert.True(Sandbox.Issuer.IsValid(arrived.Authorization!["Bearer ".Length..]));
        if (body.Length > 0)
        {
            Assert.Equal("application/json", arrived.Headers["Content-Type"]);
        }
    }

    [Fact]
    public async Task An_encoded_name_filter_reaches_DataForge_still_encoded()
    {
        using var caller = Gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources-filtered-by-name/billing%20demo?projectId=2");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/external/sources-filtered-by-name/billing%20demo", Assert.Single(Sandbox.Recorder.Requests).Path);
    }

    [Fact]
    public async Task The_callers_own_credentials_cookies_and_forwarding_headers_do_not_reach_DataForge()
    {
        using var caller = Gateway.CreateCaller();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/external/sources?projectId=1");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer caller-own-token");
        request.Headers.TryAddWithoutValidation("Cookie", "session=abc");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", "10.1.2.3");
        request.Headers.TryAddWithoutValidation("X-Internal-Tenant", "acme");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, br");

        using var response = await caller.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var arrived = Assert.Single(Sandbox.Recorder.Requests);
        Assert.DoesNotContain("caller-own-token", arrived.Authorization);
        Assert.True(Sandbox.Issuer.IsValid(arrived.Authorization!["Bearer ".Length..]));
        // Not Accept-Encoding either: a compressed answer could hide the gateway's token from the masking.
        foreach (var header in new[] { "X-Api-Key", "Cookie", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Internal-Tenant", "Accept-Encoding" })
        {
            Assert.False(arrived.Headers.ContainsKey(header), $"{header} reached DataForge");
        }
    }

    [Theory]
    [InlineData("GET", "/external/unknown")]
    [InlineData("GET", "/external")]
    [InlineData("GET", "/")]
    [InlineData("POST", "/external/source-pull")]
    [InlineData("POST", "/external/source-pull/1/extra")]
    [InlineData("GET", "/oauth/token")]
    public async Task An_unknown_path_is_404_problem_and_reaches_nothing(string method, string path)
    {
        using var caller = Gateway.CreateCaller();

        using var response = await caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await Problem.AssertAsync(response, HttpStatusCode.NotFound, "route-not-found");
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }

    [Theory]
    [InlineData("GET", "/external/source-pull/19643")]
    [InlineData("DELETE", "/external/sources")]
    [InlineData("POST", "/external/sources")]
    [InlineData("GET", "/external/inputs-filtered")]
    [InlineData("PUT", "/external/sources-filtered-by-name/demo")]
    public async Task A_known_path_with_the_wrong_method_is_405_problem_and_reaches_nothing(string method, string path)
    {
        using var caller = Gateway.CreateCaller();

        using var response = await caller.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await Problem.AssertAsync(response, HttpStatusCode.MethodNotAllowed, "method-not-allowed");
        Assert.Equal(0, Sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task DataForge_errors_reach_the_caller_as_DataForge_sent_them()
    {
        using var caller = Gateway.CreateCaller();

        using var response = await caller.PostAsync("/external/source-pull/424242", null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Source 424242 not found", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task An_unreachable_DataForge_is_502_problem()
    {
        await using var gateway = new GatewayHost(Sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Environments:stage:BaseUrl"] = $"http://127.0.0.1:{FreePort.Next()}",
        });
        using var caller = gateway.CreateCaller();

        using var response = await caller.GetAsync("/external/sources?projectId=1");

        await Problem.AssertAsync(response, HttpStatusCode.BadGateway, "upstream-unavailable");
    }
}
