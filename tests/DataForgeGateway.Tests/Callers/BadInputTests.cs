using System.Text.Json;
using DataForgeGateway.Callers;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Callers;

/// <summary>
/// Every way in which a request can be wrong, each with its status and problem type, and proof that nothing of it
/// reached DataForge. Requests are written byte for byte, so no client library tidies a path trick away.
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly (string Id, string Key) Live = ApiKeyFormat.New();
    private static readonly (string Id, string Key) Expired = ApiKeyFormat.New();
    private static readonly (string Id, string Key) Early = ApiKeyFormat.New();
    private static readonly (string Id, string Key) Scoped = ApiKeyFormat.New();

    private SandboxHost _sandbox = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _sandbox = await SandboxHost.StartAsync();
        _gateway = new GatewayHost(_sandbox, new Dictionary<string, string?>
        {
            ["Gateway:Callers:ops-svc:Keys:0:Id"] = Live.Id,
            ["Gateway:Callers:ops-svc:Keys:0:Sha256"] = GatewayHost.Sha256(Live.Key),
            ["Gateway:Callers:ops-svc:Keys:1:Id"] = Expired.Id,
            ["Gateway:Callers:ops-svc:Keys:1:Sha256"] = GatewayHost.Sha256(Expired.Key),
            ["Gateway:Callers:ops-svc:Keys:1:Expires"] = "2020-01-01T00:00:00Z",
            ["Gateway:Callers:ops-svc:Keys:2:Id"] = Early.Id,
            ["Gateway:Callers:ops-svc:Keys:2:Sha256"] = GatewayHost.Sha256(Early.Key),
            ["Gateway:Callers:ops-svc:Keys:2:NotBefore"] = "2100-01-01T00:00:00Z",
            ["Gateway:Callers:scoped-svc:Keys:0:Id"] = Scoped.Id,
            ["Gateway:Callers:scoped-svc:Keys:0:Sha256"] = GatewayHost.Sha256(Scoped.Key),
            ["Gateway:Callers:scoped-svc:Operations:0"] = "sources",
            ["Gateway:Callers:scoped-svc:Operations:1"] = "source-pull",
            ["Gateway:Callers:scoped-svc:Operations:2"] = "inputs-filtered",
            ["Gateway:Callers:scoped-svc:ProjectIds:0"] = "1",
            ["Gateway:Callers:scoped-svc:SourceIds:0"] = "19643",
            ["Gateway:Requests:MaxBodyBytes"] = "1024",
            ["Gateway:Requests:MaxInputsLimit"] = "500",
        });
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    public static TheoryData<string, string, string?, string, int, string> Cases()
    {
        var ok = Live.Key;
        var unknownKey = ApiKeyFormat.New().Key;
        var otherIdSameSecret = Live.Key.Replace(Live.Id, Scoped.Id, StringComparison.Ordinal);
        var badChecksum = Live.Key[..^1] + (Live.Key[^1] == 'a' ? 'b' : 'a');
        const string valid = """{"source_id": "19643", "limit": "10", "effective_filter": "false"}""";
        return new()
        {
            // what, request line, key, body, expected status, problem type
            { "no key", "GET /external/sources?projectId=1 HTTP/1.1", null, "", 401, "api-key-missing" },
            { "unknown key id", "GET /external/sources?projectId=1 HTTP/1.1", unknownKey, "", 401, "api-key-invalid" },
            { "wrong secret for a known key id", "GET /external/sources?projectId=1 HTTP/1.1", WithSecretOf(Live, ApiKeyFormat.New()), "", 401, "api-key-invalid" },
            { "another caller's key id with this secret", "GET /external/sources?projectId=1 HTTP/1.1", otherIdSameSecret, "", 401, "api-key-malformed" },
            { "bad checksum", "GET /external/sources?projectId=1 HTTP/1.1", badChecksum, "", 401, "api-key-malformed" },
            { "truncated key", "GET /external/sources?projectId=1 HTTP/1.1", Live.Key[..^3], "", 401, "api-key-malformed" },
            { "expired key", "GET /external/sources?projectId=1 HTTP/1.1", Expired.Key, "", 401, "api-key-expired" },
            { "key not valid yet", "GET /external/sources?projectId=1 HTTP/1.1", Early.Key, "", 401, "api-key-not-yet-valid" },
            { "key in the query string", $"GET /external/sources?projectId=1&api_key={ok} HTTP/1.1", null, "", 401, "api-key-in-query" },
            { "key in the query string besides the header", $"GET /external/sources?projectId=1&x={ok} HTTP/1.1", ok, "", 401, "api-key-in-query" },
            { "key in the query string, upper-case", $"GET /external/sources?projectId=1&x={ok.ToUpperInvariant()} HTTP/1.1", ok, "", 401, "api-key-in-query" },
            { "dot segments", "GET /external/../external/sources?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "encoded dot segments", "GET /external/%2e%2e/external/sources?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "upper-case encoded dots", "GET /external/%2E%2E/external/sources?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "encoded slash", "POST /external/source-pull/1%2F..%2F..%2Fadmin HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "encoded slash in the name filter", "GET /external/sources-filtered-by-name/a%2Fb?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "name filter that is a dot segment", "GET /external/sources-filtered-by-name/%2E%2E?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "name filter with a control character", "GET /external/sources-filtered-by-name/a%0Ab?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "name filter over 100 characters", $"GET /external/sources-filtered-by-name/{new string('a', 101)}?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "key pasted into the name filter", $"GET /external/sources-filtered-by-name/{ok}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "key pasted into the name filter, encoded", $"GET /external/sources-filtered-by-name/{Uri.EscapeDataString(ok).Replace("_", "%5F", StringComparison.Ordinal)}?projectId=1 HTTP/1.1", null, "", 401, "api-key-in-path" },
            { "another caller's key, configured by its hash alone, in the name filter", $"GET /external/sources-filtered-by-name/{GatewayHost.OtherCallerKey}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "a key without its prefix in the name filter", $"GET /external/sources-filtered-by-name/{ok[ApiKeyFormat.Prefix.Length..]}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "a key encoded twice", $"GET /external/sources-filtered-by-name/%2564{ok[1..]}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "a key with a fullwidth letter", $"GET /external/sources-filtered-by-name/%EF%BD%84{ok[1..]}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "a key with a soft hyphen", $"GET /external/sources-filtered-by-name/{ok[..2]}%C2%AD{ok[2..]}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "a key with a zero-width space", $"GET /external/sources-filtered-by-name/{ok[..3]}%E2%80%8B{ok[3..]}?projectId=1 HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "a key in the source id", $"POST /external/source-pull/{ok[ApiKeyFormat.Prefix.Length..]} HTTP/1.1", ok, "", 401, "api-key-in-path" },
            { "another caller's key in a query value", $"GET /external/sources?projectId=1&note={GatewayHost.OtherCallerKey} HTTP/1.1", ok, "", 401, "api-key-in-query" },
            { "a key without its prefix in a query value", $"GET /external/sources?projectId=1&note={ok[ApiKeyFormat.Prefix.Length..]} HTTP/1.1", ok, "", 401, "api-key-in-query" },
            { "unknown environment without a key", "GET /qa/external/sources?projectId=1 HTTP/1.1", null, "", 401, "api-key-missing" },
            { "known environment without a key", "GET /stage/external/sources?projectId=1 HTTP/1.1", null, "", 401, "api-key-missing" },
            { "unknown environment with a key", "GET /qa/external/sources?projectId=1 HTTP/1.1", ok, "", 403, "forbidden" },
            { "encoded backslash", "GET /external/sources-filtered-by-name/a%5Cb?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "doubled slash", "GET //external/sources?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "backslash", "GET /external\\sources?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "semicolon parameter", "GET /external/sources;jsessionid=1?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "absolute-form target", "GET http://evil.example/external/sources?projectId=1 HTTP/1.1", ok, "", 400, "path-not-canonical" },
            { "non-numeric source id", "POST /external/source-pull/abc HTTP/1.1", ok, "", 400, "invalid-request" },
            { "duplicate member", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("{", "{\"source_id\": \"999\", ", StringComparison.Ordinal), 400, "invalid-request" },
            { "duplicate member through an escape", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("}", ", \"\\u006cimit\": \"499\"}", StringComparison.Ordinal), 400, "invalid-request" },
            { "lone surrogate in a value", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("\"false\"", "\"\\ud800\"", StringComparison.Ordinal), 400, "invalid-request" },
            { "lone surrogate in a member name", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("}", ", \"\\udc00\": \"x\"}", StringComparison.Ordinal), 400, "invalid-request" },
            { "unknown query parameter", "GET /external/sources?projectId=1&debug=true HTTP/1.1", ok, "", 400, "invalid-request" },
            { "projectId twice", "GET /external/sources?projectId=1&projectId=2 HTTP/1.1", ok, "", 400, "invalid-request" },
            { "non-numeric projectId", "GET /external/sources?projectId=1%20OR%201 HTTP/1.1", ok, "", 400, "invalid-request" },
            { "body on a GET", "GET /external/sources?projectId=1 HTTP/1.1", ok, "{}", 400, "invalid-request" },
            { "body on source-pull", "POST /external/source-pull/19643 HTTP/1.1", ok, "{\"x\":1}", 400, "invalid-request" },
            { "body that is not JSON", "POST /external/inputs-filtered HTTP/1.1", ok, "source_id=1", 400, "invalid-request" },
            { "body that is an array", "POST /external/inputs-filtered HTTP/1.1", ok, "[1,2]", 400, "invalid-request" },
            { "body missing its fields", "POST /external/inputs-filtered HTTP/1.1", ok, "{}", 400, "invalid-request" },
            { "limit over the maximum", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("\"10\"", "\"501\"", StringComparison.Ordinal), 400, "invalid-request" },
            { "limit not a number", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("\"10\"", "\"ten\"", StringComparison.Ordinal), 400, "invalid-request" },
            { "effective_filter not a boolean", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("\"false\"", "\"maybe\"", StringComparison.Ordinal), 400, "invalid-request" },
            { "an extra field", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("}", ", \"drop\": \"table\"}", StringComparison.Ordinal), 400, "invalid-request" },
            { "body over the size limit", "POST /external/inputs-filtered HTTP/1.1", ok, valid.Replace("}", $", \"pad\": \"{new string('x', 2000)}\"}}", StringComparison.Ordinal), 413, "body-too-large" },
            { "operation not allowed", "GET /external/sources-filtered-by-name/demo?projectId=1 HTTP/1.1", Scoped.Key, "", 403, "forbidden" },
            { "project not allowed", "GET /external/sources?projectId=2 HTTP/1.1", Scoped.Key, "", 403, "forbidden" },
            { "no project named by a project-bound caller", "GET /external/sources HTTP/1.1", Scoped.Key, "", 403, "forbidden" },
            { "source not allowed (path)", "POST /external/source-pull/19709 HTTP/1.1", Scoped.Key, "", 403, "forbidden" },
            { "source not allowed (body)", "POST /external/inputs-filtered HTTP/1.1", Scoped.Key, valid.Replace("19643", "19709", StringComparison.Ordinal), 403, "forbidden" },
            { "environment not allowed", "GET /stage/external/sources?projectId=1 HTTP/1.1", GatewayHost.OtherCallerKey, "", 200, "" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_its_status_and_problem_type_and_reaches_nothing(string what, string requestLine, string? key, string body, int status, string type)
    {
        // An absolute-form target carries its own authority, and Kestrel insists the Host header agrees with it.
        var host = requestLine.Contains("http://", StringComparison.Ordinal) ? new Uri(requestLine.Split(' ')[1]).Authority : _gateway.ProxyAddress.Authority;
        var headers = new List<string> { $"Host: {host}" };
        if (key is not null)
        {
            headers.Add($"X-Api-Key: {key}");
        }

        if (body.Length > 0)
        {
            headers.Add("Content-Type: application/json");
        }

        var response = await RawHttp.SendAsync(_gateway.ProxyAddress, requestLine, headers, body);

        Assert.True(status == response.Status, $"{what}: expected {status}, got {response.Status}: {response.Body}");
        if (status >= 400)
        {
            Assert.Contains("Content-Type: application/problem+json", response.Head, StringComparison.OrdinalIgnoreCase);
            Assert.Equal($"urn:dataforge-gateway:problem:{type}", JsonDocument.Parse(response.Body).RootElement.GetProperty("type").GetString());
            Assert.Equal(0, _sandbox.Recorder.Arrivals);
            if (key is not null)
            {
                Assert.DoesNotContain(key, response.Body, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Each_bad_field_of_an_inputs_filtered_body_is_listed()
    {
        var response = await SendAsync(
            "POST /external/inputs-filtered HTTP/1.1", Live.Key, ["Content-Type: application/json"], """{"source_id": "x", "limit": 0, "effective_filter": "maybe", "extra": 1}""");

        Assert.Equal(400, response.Status);
        var errors = JsonDocument.Parse(response.Body).RootElement.GetProperty("errors");
        Assert.Equal(["effective_filter", "extra", "limit", "source_id"], errors.EnumerateObject().Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_by_its_content_type_is_415()
    {
        var response = await SendAsync(
            "POST /external/inputs-filtered HTTP/1.1", Live.Key, ["Content-Type: text/plain"], """{"source_id": "19643", "limit": "10", "effective_filter": "false"}""");

        Assert.Equal(415, response.Status);
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_413_and_reaches_nothing()
    {
        var response = await SendAsync(
            "POST /external/inputs-filtered HTTP/1.1", Live.Key, ["Content-Type: application/json"], new string('x', 1800), chunked: true);

        Assert.Equal(413, response.Status);
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task Oversized_headers_are_431_and_reach_nothing()
    {
        var response = await SendAsync("GET /external/sources?projectId=1 HTTP/1.1", Live.Key, [$"X-Padding: {new string('p', 40 * 1024)}"]);

        Assert.Equal(431, response.Status);
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task A_spoofed_Host_does_not_reach_DataForge()
    {
        var response = await RawHttp.SendAsync(
            _gateway.ProxyAddress,
            "GET /external/sources?projectId=1 HTTP/1.1",
            ["Host: evil.example", $"X-Api-Key: {Live.Key}"]);

        Assert.Equal(200, response.Status);
        Assert.Equal(new Uri(_sandbox.BaseUrl).Authority, Assert.Single(_sandbox.Recorder.Requests).Headers["Host"]);
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("h2c")]
    public async Task An_upgrade_is_ignored_so_the_method_is_kept_and_nothing_is_tunnelled(string protocol)
    {
        var response = await SendAsync(
            "POST /external/source-pull/19643 HTTP/1.1", Live.Key, ["Connection: Upgrade", $"Upgrade: {protocol}", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]);

        Assert.Equal(200, response.Status);
        var forwarded = Assert.Single(_sandbox.Recorder.Requests);
        Assert.Equal("POST", forwarded.Method);
        Assert.DoesNotContain(forwarded.Headers.Keys, name => name.Equals("Upgrade", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Sec-WebSocket", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("Connection: keep-alive, X-Api-Key", "Connection may name only keep-alive or close.")]
    [InlineData("TE: gzip", "TE may name only trailers.")]
    public async Task Hop_by_hop_options_a_proxy_could_act_on_are_refused_and_nothing_is_forwarded(string header, string detail)
    {
        var response = await SendAsync("GET /external/sources?projectId=1 HTTP/1.1", Live.Key, [header]);

        Assert.Equal(400, response.Status);
        var problem = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal("urn:dataforge-gateway:problem:invalid-request", problem.GetProperty("type").GetString());
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
    }

    /// <summary>
    /// Kestrel reads <c>Content-Length: +62</c> as 62 and offers no setting against it (nor a way to see the header as
    /// sent); the ingress in front refuses it, so it never reaches the gateway in the deployed shape.
    /// </summary>
    [Fact]
    public async Task Behind_a_real_ingress_a_content_length_with_a_sign_never_reaches_the_gateway()
    {
        await using var ingress = await HaproxyIngress.StartAsync(_gateway.ProxyAddress);
        const string body = """{"source_id": "19643", "limit": "10", "effective_filter": "false"}""";
        var through = await RawHttp.SendAsync(ingress.Address, "GET /external/sources?projectId=1 HTTP/1.1", ["Host: gateway.internal", $"X-Api-Key: {Live.Key}"]);

        var signed = await RawHttp.SendAsync(
            ingress.Address,
            "POST /external/inputs-filtered HTTP/1.1",
            ["Host: gateway.internal", $"X-Api-Key: {Live.Key}", "Content-Type: application/json", $"Content-Length: +{body.Length}"],
            framed: body);

        Assert.Equal(200, through.Status);
        Assert.Equal(400, signed.Status);
        Assert.Equal(1, _sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task Lines_ended_by_a_bare_LF_are_refused_and_nothing_is_forwarded()
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(_gateway.ProxyAddress.Host, _gateway.ProxyAddress.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"GET /external/sources?projectId=1 HTTP/1.1\nHost: {_gateway.ProxyAddress.Authority}\nX-Api-Key: {Live.Key}\nConnection: close\n\n"));
        using var reader = new StreamReader(stream);

        var statusLine = await reader.ReadLineAsync();

        Assert.StartsWith("HTTP/1.1 400", statusLine);
        Assert.Equal(0, _sandbox.Recorder.Arrivals);
    }

    [Fact]
    public async Task A_caller_within_its_scope_is_let_through()
    {
        var response = await SendAsync(
            "POST /external/inputs-filtered HTTP/1.1", Scoped.Key, ["Content-Type: application/json"], """{"source_id": 19643, "limit": 10, "effective_filter": false}""");

        Assert.Equal(200, response.Status);
        // DataForge gets a body made from the checked values, in the vendor's form, not the caller's bytes.
        Assert.Equal("""{"source_id":"19643","limit":"10","effective_filter":"false"}""", Assert.Single(_sandbox.Recorder.Requests).Body);
    }

    /// <summary>A request to this gateway, written by hand, with its Host and the given key.</summary>
    private Task<RawHttp.Response> SendAsync(string requestLine, string key, string[] headers, string body = "", bool chunked = false) =>
        RawHttp.SendAsync(_gateway.ProxyAddress, requestLine, [$"Host: {_gateway.ProxyAddress.Authority}", $"X-Api-Key: {key}", .. headers], body, chunked);

    private static string WithSecretOf((string Id, string Key) owner, (string Id, string Key) donor)
    {
        // A well-formed key (valid checksum) with the owner's id and someone else's secret.
        var body = $"{ApiKeyFormat.Prefix}{owner.Id}_{donor.Key[(ApiKeyFormat.Prefix.Length + donor.Id.Length + 1)..^ApiKeyFormat.ChecksumLength]}";
        return ApiKeyFormat.WithChecksum(body);
    }
}
