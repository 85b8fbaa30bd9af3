using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace DataForgeGateway.Soak;

/// <summary>
/// Every answer the soak got, classified and checked as it arrives: DataForge's own answer or one of the README's
/// problem types; Retry-After on every 503 and 429; no 500 of the gateway's own; no request without an answer.
/// </summary>
internal sealed partial class Observations(IReadOnlySet<string> problemTypes, Func<DateTime> clock)
{
    private readonly ConcurrentDictionary<string, long> _answers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _violations = new();
    private long _requests;

    /// <summary>Trace ids of the requests a gateway answered: each must have exactly one audit record.</summary>
    public ConcurrentDictionary<string, byte> AnsweredTraceIds { get; } = new(StringComparer.Ordinal);

    public long Requests => Interlocked.Read(ref _requests);

    public IReadOnlyDictionary<string, long> Answers => _answers;

    public IReadOnlyList<string> Violations => [.. _violations];

    /// <summary>The problem types the README lists, read from its text.</summary>
    public static IReadOnlySet<string> ProblemTypesOf(string readme) =>
        ProblemType().Matches(readme).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

    public void Violation(string what) => _violations.Enqueue($"{clock():HH:mm:ss.fff} {what}");

    /// <summary>Checks one answer. <paramref name="dataForge500"/>: whether DataForge was switched to answer 500 meanwhile.</summary>
    public void Answered(string traceId, string what, HttpResponseMessage response, string body, bool dataForge500)
    {
        Interlocked.Increment(ref _requests);
        AnsweredTraceIds[traceId] = 0;
        var status = (int)response.StatusCode;
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        string kind;
        if (mediaType == "application/problem+json")
        {
            var type = TypeOf(body);
            kind = $"{status} {type?.Replace("urn:dataforge-gateway:problem:", "", StringComparison.Ordinal) ?? "?"}";
            if (type is null || !problemTypes.Contains(type))
            {
                Violation($"{what}: a problem type the README does not list: {status} {type ?? "(none)"}");
            }
            else if (type.StartsWith("urn:dataforge-gateway:problem:workload-", StringComparison.Ordinal))
            {
                // The soak's workload tokens are always good and its issuer always up: any refusal of one is a fault.
                Violation($"{what}: a good workload token refused: {status} {type}");
            }
            else if (status == 500)
            {
                Violation($"{what}: 500 from the gateway ({type})");
            }
        }
        else
        {
            kind = response.Headers.Contains("Idempotent-Replayed") ? $"{status} dataforge (replayed)" : $"{status} dataforge";
            var dataForgesOwn = mediaType == "application/json" && status switch
            {
                200 or 404 or 429 => true,
                500 => dataForge500,
                _ => false,
            };
            if (!dataForgesOwn)
            {
                Violation($"{what}: {status} ({mediaType ?? "no content type"}) is neither DataForge's own answer nor a gateway problem");
            }
        }

        if (status is 429 or 503 && response.Headers.RetryAfter is null)
        {
            Violation($"{what}: {kind} without Retry-After");
        }

        _answers.AddOrUpdate(kind, 1, static (_, count) => count + 1);
    }

    /// <summary>A request that got no answer at all.</summary>
    public void Lost(string what, Exception error)
    {
        Interlocked.Increment(ref _requests);
        _answers.AddOrUpdate("no answer", 1, static (_, count) => count + 1);
        Violation($"{what}: no answer ({error.GetType().Name}: {error.Message})");
    }

    private static string? TypeOf(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex("urn:dataforge-gateway:problem:[a-z0-9-]+")]
    private static partial Regex ProblemType();
}
