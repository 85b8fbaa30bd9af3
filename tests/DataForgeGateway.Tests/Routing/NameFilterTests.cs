using System.Diagnostics;
using System.Text.Json;
using DataForgeGateway.Tests.Infrastructure;

namespace DataForgeGateway.Tests.Routing;

/// <summary>
/// The name filter is "a section of the source name": any text but a slash. Called as the vendor's own Python
/// example calls it, with names holding every printable ASCII punctuation character and non-Latin scripts, DataForge
/// receives exactly the string the caller meant, encoded once.
/// </summary>
public sealed class NameFilterTests : GatewayTest
{
    // The vendor's example, looped: the name put into the URL as it is and, percent-encoded, as quote() does.
    private const string Script = """
        import json, string, sys, requests
        from urllib.parse import quote
        gateway, key = sys.argv[1], sys.argv[2]
        names = ["a" + c + "b" for c in string.punctuation] + ["Продажи", "売上データ", "مبيعات", "Ünïcödé", "a%2Fb", "orders.v2", "Sales (EU)"]
        results = []
        for name in names:
            for form in ("encoded", "raw"):
                if form == "raw" and any(c in name for c in "?#%/\\"):
                    continue  # requests itself reads these as query, fragment or escape: a caller must encode them
                nameFilter = quote(name, safe="") if form == "encoded" else name
                url = f"{gateway}/external/sources-filtered-by-name/{nameFilter}"
                headers = {"X-Api-Key": key, "content-type": "text/plane"}
                response = requests.request("GET", url, headers=headers, params={"projectId": "1"})
                results.append({"name": name, "form": form, "status": response.status_code, "type": response.headers.get("content-type", "")})
        print(json.dumps(results))
        """;

    [Fact]
    public async Task Names_with_any_punctuation_or_script_reach_DataForge_as_the_caller_meant_them()
    {
        var results = await RunVendorScriptAsync();

        var forwarded = 0;
        foreach (var result in results)
        {
            var name = result.GetProperty("name").GetString()!;
            var status = result.GetProperty("status").GetInt32();
            if (name.Contains('/') || name.Contains('\\'))
            {
                Assert.True(status == 400, $"{name} ({result.GetProperty("form")}) was not refused: {status}");
                continue;
            }

            Assert.True(status == 200, $"{name} ({result.GetProperty("form")}) answered {status}");
            var arrived = Sandbox.Recorder.Requests[forwarded++];
            var segment = arrived.Path["/external/sources-filtered-by-name/".Length..];

            // Decoded once, DataForge's segment is the name itself; and it is the gateway's one canonical encoding.
            Assert.Equal(name, Uri.UnescapeDataString(segment));
            Assert.Equal(Uri.EscapeDataString(name), segment);
            Assert.Equal("?projectId=1", arrived.QueryString);
        }

        Assert.Equal(forwarded, Sandbox.Recorder.Requests.Count);
        Assert.True(forwarded > 60, $"only {forwarded} names were forwarded");
    }

    private async Task<List<JsonElement>> RunVendorScriptAsync()
    {
        var start = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(Gateway.ProxyAddress.ToString().TrimEnd('/'));
        start.ArgumentList.Add(GatewayHost.CallerKey);
        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEndAsync();
        var errors = python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0, $"python3 with requests is needed (apt-get install -y python3-requests): {await errors}");
        return [.. JsonDocument.Parse(await output).RootElement.EnumerateArray().Select(e => e.Clone())];
    }
}
