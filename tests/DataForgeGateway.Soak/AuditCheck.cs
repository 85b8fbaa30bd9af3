using System.Text.Json;

namespace DataForgeGateway.Soak;

/// <summary>Exactly one audit record per request a gateway answered, across every replica and restart.</summary>
internal static class AuditCheck
{
    public static AuditResult Run(Deployment deployment, Observations observations)
    {
        var records = new Dictionary<string, int>(StringComparer.Ordinal);
        var total = 0;
        foreach (var process in deployment.GatewayProcesses)
        {
            foreach (var line in File.ReadLines(process.OutputPath))
            {
                if (!line.StartsWith('{') || TraceIdOf(line) is not { } traceId)
                {
                    continue;
                }

                total++;
                records[traceId] = records.GetValueOrDefault(traceId) + 1;
            }
        }

        var answered = observations.AnsweredTraceIds.Keys.ToHashSet(StringComparer.Ordinal);
        var missing = answered.Count(id => !records.ContainsKey(id));
        var duplicated = records.Count(pair => pair.Value > 1);
        var unknown = records.Keys.Count(id => !answered.Contains(id));
        if (missing > 0)
        {
            observations.Violation($"audit: {missing} answered requests have no audit record");
        }

        if (duplicated > 0)
        {
            observations.Violation($"audit: {duplicated} requests have more than one audit record");
        }

        if (unknown > 0 && !observations.Answers.ContainsKey("no answer"))
        {
            observations.Violation($"audit: {unknown} records of requests nobody sent");
        }

        return new AuditResult(total, answered.Count, missing, duplicated);
    }

    private static string? TraceIdOf(string line)
    {
        try
        {
            using var record = JsonDocument.Parse(line);
            return record.RootElement.TryGetProperty("outcome", out _) && record.RootElement.TryGetProperty("trace_id", out var id) ? id.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

internal sealed record AuditResult(int Records, int AnsweredRequests, int Missing, int Duplicated);
