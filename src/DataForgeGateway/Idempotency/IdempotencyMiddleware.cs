using System.Security.Cryptography;
using System.Text;
using DataForgeGateway.Answers;
using DataForgeGateway.Api;
using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using DataForgeGateway.Problems;
using DataForgeGateway.Redis;
using DataForgeGateway.Settings;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Idempotency;

/// <summary>
/// <c>Idempotency-Key</c> on source-pull (the IETF httpapi draft's header): exactly one ingestion per key and
/// caller. The first request with a key claims it and goes to DataForge; DataForge's answer (below 500) is kept for
/// <see cref="IdempotencyOptions.Retention"/>, and a retry with the same key and request gets it again, marked
/// <c>Idempotent-Replayed: true</c>, without DataForge being called (not a 429 or other "try later" answer). The same key for another request is 422; a
/// retry while the first is in flight waits for its answer, at most <see cref="IdempotencyOptions.InFlightWait"/>,
/// then 409 with <c>Retry-After</c>. A failure (5xx, a gateway problem, no answer) releases the key: a retry tries
/// again. Runs after the caller's permissions and limits; without the header nothing changes.
/// </summary>
internal sealed class IdempotencyMiddleware(
    RequestDelegate next,
    IIdempotencyStore store,
    LiveOptions<IdempotencyOptions> options,
    LiveOptions<GatewayOptions> gateway,
    AnswerProtection protection,
    IOptions<RedisOptions> redis,
    IdempotencyMetrics metrics,
    TimeProvider clock)
{
    public const string HeaderName = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    private const int MaxKeyLength = 255;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);

    public Task InvokeAsync(HttpContext context)
    {
        var settings = options.Current;
        if (!settings.Enabled
            || context.GetDataForgeRoute() is not { } route
            || route.Operation != DataForgeOperation.SourcePull
            || !context.Request.Headers.TryGetValue(HeaderName, out var values))
        {
            return next(context);
        }

        if (values.Count != 1 || ParseKey(values[0]) is not { } key)
        {
            return context.WriteProblemAsync(GatewayProblem.IdempotencyKeyInvalid, $"Send one {HeaderName} of 1 to {MaxKeyLength} visible ASCII characters.");
        }

        var caller = (CallerIdentity)context.User.Identity!;
        var fingerprint = $"{route.Environment}\n{context.Features.Get<RequestParameters>()?.SourceId}";
        return HandleAsync(context, route, settings, StorageKey(caller.Name, key), fingerprint);
    }

    /// <summary>The key as sent: a bare token or an RFC 8941 string ("..."); null when empty, too long or not visible ASCII.</summary>
    internal static string? ParseKey(string? value)
    {
        if (value is { Length: >= 2 } && value[0] == '"' && value[^1] == '"')
        {
            value = value[1..^1];
        }

        return value is { Length: > 0 and <= MaxKeyLength } && !value.AsSpan().ContainsAnyExceptInRange(' ', '~') ? value : null;
    }

    private async Task HandleAsync(HttpContext context, DataForgeRoute route, IdempotencyOptions settings, string storageKey, string fingerprint)
    {
        var deadline = clock.GetUtcNow() + settings.InFlightWait;
        while (true)
        {
            var claim = IdempotencyRecord.Claim(fingerprint).Protect(protection, storageKey);
            var stored = await store.ClaimOrGetAsync(storageKey, claim, ClaimLifetime(route));
            if (stored is null)
            {
                await ForwardAsync(context, settings, storageKey, fingerprint, claim);
                return;
            }

            switch (IdempotencyRecord.Unprotect(stored, protection, storageKey))
            {
                case null:
                    // Unreadable (a rotated secret): as if absent.
                    await store.ForgetAsync(storageKey);
                    continue;
                case { } record when record.Fingerprint != fingerprint:
                    metrics.Reused();
                    await context.WriteProblemAsync(GatewayProblem.IdempotencyKeyReused, $"This {HeaderName} was used for another source or environment; use a new key for a new request.");
                    return;
                case { InFlight: false } record:
                    await ReplayAsync(context, record);
                    return;
            }

            if (clock.GetUtcNow() >= deadline)
            {
                metrics.InFlight();
                await context.WriteProblemAsync(GatewayProblem.IdempotencyKeyInFlight, $"The first request with this {HeaderName} is still in progress.", TimeSpan.FromSeconds(1));
                return;
            }

            await Task.Delay(Poll, clock, context.RequestAborted);
        }
    }

    private async Task ForwardAsync(HttpContext context, IdempotencyOptions settings, string storageKey, string fingerprint, byte[] claim)
    {
        byte[]? body;
        using (var capture = ResponseCaptureStream.Start(context, settings.MaxStoredBodyBytes))
        {
            try
            {
                await next(context);
            }
            catch
            {
                await store.ReleaseAsync(storageKey, claim);
                throw;
            }

            body = capture.Captured;
        }

        // Kept: DataForge's own final answer, whole. Not kept: 5xx, "try later" (408, 425, 429: a retry must try
        // again), a gateway problem, an answer cut short, none at all.
        var response = context.Response;
        if (KeptAnswer.IsDataForgesOwn(context) && IsFinal(response.StatusCode) && body is not null)
        {
            var record = new IdempotencyRecord(fingerprint, null, response.StatusCode, response.ContentType, body, clock.GetUtcNow().ToUnixTimeMilliseconds());
            await store.CompleteAsync(storageKey, claim, record.Protect(protection, storageKey), settings.Retention);
        }
        else
        {
            await store.ReleaseAsync(storageKey, claim);
        }
    }

    /// <summary>An answer that a retry would only get again: not a server error, not one that says to try later.</summary>
    internal static bool IsFinal(int status) => status < 500 && status is not (StatusCodes.Status408RequestTimeout or 425 or StatusCodes.Status429TooManyRequests);

    private async Task ReplayAsync(HttpContext context, IdempotencyRecord record)
    {
        metrics.Replayed();
        context.Features.Set(IdempotentReplay.Instance);
        var response = context.Response;
        response.StatusCode = record.Status;
        response.Headers[ReplayedHeader] = "true";
        if (record.ContentType is { } contentType)
        {
            response.ContentType = contentType;
        }

        response.ContentLength = record.Body?.Length ?? 0;
        if (record.Body is { Length: > 0 } body)
        {
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    /// <summary>How long a claim outlives a replica that died holding it: the operation's upstream timeout, and some.</summary>
    private TimeSpan ClaimLifetime(DataForgeRoute route) =>
        gateway.Current.Environments.TryGetValue(route.Environment, out var environment)
            ? environment.UpstreamTimeoutOf(route.Operation.Name) + TimeSpan.FromSeconds(30)
            : TimeSpan.FromMinutes(1);

    /// <summary>Per caller (one caller cannot reach another's answers), the key hashed (never stored or logged in clear).</summary>
    private string StorageKey(string caller, string key) =>
        $"{redis.Value.InstanceName}idempotency:{{{caller}}}:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))}";
}

/// <summary>Set on a request answered from a stored answer: DataForge was not called.</summary>
public sealed class IdempotentReplay
{
    public static readonly IdempotentReplay Instance = new();
}
