using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using OpenTelemetry.Metrics;

namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>Finds secrets where operators look: log lines, spans, metric names and tags.</summary>
public static partial class SecretScan
{
    private static readonly string[] KnownSecrets = [SandboxHost.ClientSecret, GatewayHost.CallerKey, GatewayHost.OtherCallerKey];

    public static void AssertClean(IEnumerable<string> logLines, IEnumerable<Activity> spans, IEnumerable<MetricSnapshot> metrics)
    {
        var text = new StringBuilder();
        foreach (var line in logLines)
        {
            text.AppendLine(line);
        }

        foreach (var span in spans.ToList())
        {
            text.Append(span.DisplayName).Append(' ').Append(span.StatusDescription).AppendLine();
            foreach (var tag in span.TagObjects)
            {
                text.Append(tag.Key).Append('=').Append(tag.Value).AppendLine();
            }

            foreach (var spanEvent in span.Events)
            {
                text.Append(spanEvent.Name).AppendLine();
                foreach (var tag in spanEvent.Tags)
                {
                    text.Append(tag.Key).Append('=').Append(tag.Value).AppendLine();
                }
            }
        }

        foreach (var metric in metrics.ToList())
        {
            text.AppendLine(metric.Name);
            foreach (var point in metric.MetricPoints)
            {
                foreach (var tag in point.Tags)
                {
                    text.Append(tag.Key).Append('=').Append(tag.Value).AppendLine();
                }
            }
        }

        Assert.True(text.Length > 0, "nothing was captured to scan");
        var all = text.ToString();
        foreach (var secret in KnownSecrets)
        {
            Assert.False(all.Contains(secret, StringComparison.Ordinal), $"a known secret appears in the telemetry: {Around(all, all.IndexOf(secret, StringComparison.Ordinal))}");
        }

        foreach (var pattern in new[] { Jwt(), GatewayKey(), PrivateKeyPem(), DerKey() })
        {
            var match = pattern.Match(all);
            Assert.False(match.Success, $"something shaped like a token or key appears in the telemetry: {Around(all, match.Index)}");
        }
    }

    private static string Around(string text, int index) => text.Substring(Math.Max(0, index - 80), Math.Min(160, text.Length - Math.Max(0, index - 80)));

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")]
    private static partial Regex Jwt();

    [GeneratedRegex("-----BEGIN [A-Z ]*PRIVATE KEY-----")]
    private static partial Regex PrivateKeyPem();

    /// <summary>A key's DER in Base64 (an RSA key's starts MII...), as a PEM's body would leak without its armour.</summary>
    [GeneratedRegex("MII[A-Za-z0-9+/]{200,}")]
    private static partial Regex DerKey();

    [GeneratedRegex("dfgw_[a-z0-9]{4,32}_[A-Za-z0-9]{30,}")]
    private static partial Regex GatewayKey();
}
