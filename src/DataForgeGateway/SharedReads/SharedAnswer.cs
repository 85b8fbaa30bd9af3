using System.Text.Json;
using System.Text.Json.Serialization;

namespace DataForgeGateway.SharedReads;

/// <summary>DataForge's answer to a read, as given to every caller that shares it.</summary>
internal sealed record SharedAnswer(
    [property: JsonPropertyName("s")] int Status,
    [property: JsonPropertyName("h")] Dictionary<string, string> Headers,
    [property: JsonPropertyName("b")] byte[] Body,
    [property: JsonPropertyName("t")] long StoredAtUnixMs)
{
    /// <summary>
    /// The response headers that travel with the answer: DataForge's content, caching and back-off headers (a 429's
    /// <c>Retry-After</c> is every sharer's), not the caller's own (<c>RateLimit</c>, <c>RateLimit-Policy</c>).
    /// </summary>
    public static readonly string[] Kept =
    [
        "Content-Type", "Content-Language", "Content-Disposition", "Cache-Control", "Expires", "ETag", "Last-Modified", "Vary",
        "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
    ];

    /// <summary>The request headers a shared answer may vary on: those in the sharing key, the negotiation headers DataForge is sent.</summary>
    public static readonly string[] VariesOn = ["Accept", "Accept-Language"];

    /// <summary>The answer as it can be shared; null when DataForge says it varies on something else (<c>Vary: *</c>, <c>Vary: Cookie</c>).</summary>
    public static SharedAnswer? From(HttpResponse response, byte[] body, DateTimeOffset now)
    {
        foreach (var field in response.Headers.Vary.SelectMany(value => (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            if (!VariesOn.Contains(field, StringComparer.OrdinalIgnoreCase))
            {
                return null;
            }
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in Kept)
        {
            if (response.Headers.TryGetValue(name, out var value))
            {
                headers[name] = value.ToString();
            }
        }

        return new SharedAnswer(response.StatusCode, headers, body, now.ToUnixTimeMilliseconds());
    }

    /// <summary>How long the answer may be cached at most, by DataForge's <c>Cache-Control</c>; null: not at all.</summary>
    public TimeSpan? CacheLimit(TimeSpan configured)
    {
        if (Status != StatusCodes.Status200OK)
        {
            return null;
        }

        if (!Headers.TryGetValue("Cache-Control", out var cacheControl))
        {
            return configured;
        }

        var limit = configured;
        foreach (var directive in cacheControl.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (directive.Equals("no-store", StringComparison.OrdinalIgnoreCase) || directive.Equals("no-cache", StringComparison.OrdinalIgnoreCase)
                || directive.StartsWith("private", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (directive.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase) || directive.StartsWith("s-maxage=", StringComparison.OrdinalIgnoreCase))
            {
                var seconds = directive[(directive.IndexOf('=') + 1)..];
                if (int.TryParse(seconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
                {
                    limit = TimeSpan.FromSeconds(Math.Min(limit.TotalSeconds, value));
                }
            }
        }

        return limit > TimeSpan.Zero ? limit : null;
    }

    /// <summary>Answers the request with this answer; <paramref name="age"/>, for a cached one, becomes its <c>Age</c>.</summary>
    public async Task WriteAsync(HttpContext context, TimeSpan? age)
    {
        var response = context.Response;
        response.StatusCode = Status;
        foreach (var (name, value) in Headers)
        {
            response.Headers[name] = value;
        }

        if (age is { } cached)
        {
            response.Headers.Age = Math.Max(0, (long)cached.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        response.ContentLength = Body.Length;
        await response.Body.WriteAsync(Body, context.RequestAborted);
    }

    public byte[] ToBytes() => JsonSerializer.SerializeToUtf8Bytes(this, SharedAnswerJsonContext.Default.SharedAnswer);

    public static SharedAnswer? FromBytes(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, SharedAnswerJsonContext.Default.SharedAnswer);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(SharedAnswer))]
internal sealed partial class SharedAnswerJsonContext : JsonSerializerContext;
