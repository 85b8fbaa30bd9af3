using System.Text;
using System.Text.Json;

namespace DataForgeGateway.Soak;

/// <summary>What the run did and found: printed short, and written whole as <c>soak-report.json</c>.</summary>
internal sealed class Report(
    SoakOptions options,
    TimeSpan elapsed,
    Observations observations,
    IReadOnlyList<InjectedFault> faults,
    IReadOnlyList<(string Episode, double Seconds)> recoveries,
    AuditResult audit,
    (long Requests, long Issued, long Allowed) auth0,
    IReadOnlyList<MemoryCheck> memory)
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public IReadOnlyList<string> Violations { get; } = observations.Violations;

    public bool Passed => Violations.Count == 0;

    public string Write()
    {
        var path = Path.Combine(options.OutputDirectory, "soak-report.json");
        var longest = recoveries.OrderByDescending(r => r.Seconds).FirstOrDefault();
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            passed = Passed,
            seed = options.Seed,
            replicas = options.Replicas,
            minutes = Math.Round(elapsed.TotalMinutes, 2),
            requests = observations.Requests,
            answers = observations.Answers.OrderByDescending(a => a.Value).ToDictionary(a => a.Key, a => a.Value),
            faults = faults.Select(f => new { name = f.Name, started = f.StartedAt, cleared = f.ClearedAt }),
            recovery_bound_seconds = options.RecoveryBound.TotalSeconds,
            longest_recovery = new { episode = longest.Episode, seconds = Math.Round(longest.Seconds, 2) },
            recoveries = recoveries.Select(r => new { episode = r.Episode, seconds = Math.Round(r.Seconds, 2) }),
            auth0 = new { token_requests = auth0.Requests, tokens_issued = auth0.Issued, tokens_allowed = auth0.Allowed },
            audit = new { records = audit.Records, answered_requests = audit.AnsweredRequests, missing = audit.Missing, duplicated = audit.Duplicated },
            memory_limit_factor = options.MemoryGrowthLimit,
            memory = memory.Select(m => new { process = m.Process, after_warmup_mib = Math.Round(m.BaselineMiB, 1), final_mib = Math.Round(m.FinalMiB, 1), age_seconds = Math.Round(m.AgeSeconds), ratio = Math.Round(m.Ratio, 2) }),
            violations = Violations,
        }, Indented));
        return path;
    }

    public string Summary()
    {
        var text = new StringBuilder();
        var longest = recoveries.OrderByDescending(r => r.Seconds).FirstOrDefault();
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"Soak: {elapsed.TotalMinutes:F1} min, {options.Replicas} replicas, seed {options.Seed}");
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  requests: {observations.Requests}; answers: {string.Join(", ", observations.Answers.OrderByDescending(a => a.Value).Select(a => $"{a.Key} {a.Value}"))}");
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  faults injected: {faults.Count} ({string.Join(", ", faults.GroupBy(f => f.Name).Select(g => $"{g.Key} x{g.Count()}"))})");
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  longest recovery: {longest.Seconds:F1} s after '{longest.Episode}' (bound {options.RecoveryBound.TotalSeconds} s)");
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  Auth0: {auth0.Issued} tokens issued (at most {auth0.Allowed} allowed), {auth0.Requests} token requests");
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  audit: {audit.Records} records for {audit.AnsweredRequests} answered requests ({audit.Missing} missing, {audit.Duplicated} duplicated)");
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"  RSS: {string.Join(", ", memory.Select(m => $"{m.Process} {m.BaselineMiB:F0}->{m.FinalMiB:F0} MiB ({m.Ratio:F2}x)"))} (limit {options.MemoryGrowthLimit}x)");
        text.Append(Passed ? "PASSED: every invariant held" : $"FAILED: {Violations.Count} violations; the first: {Violations[0]}");
        return text.ToString();
    }
}
