using DataForgeGateway.Idempotency;
using DataForgeGateway.SharedReads;

namespace DataForgeGateway.UnitTests.SharedReads;

/// <summary>How long DataForge lets an answer be cached, and which idempotency keys are keys.</summary>
public sealed class SharedAnswerTests
{
    [Theory]
    [InlineData(200, null, 30)]
    [InlineData(200, "public, max-age=10", 10)]
    [InlineData(200, "max-age=600", 30)]
    [InlineData(200, "s-maxage=5", 5)]
    [InlineData(200, "no-store", null)]
    [InlineData(200, "No-Cache", null)]
    [InlineData(200, "private, max-age=60", null)]
    [InlineData(200, "max-age=0", null)]
    [InlineData(404, null, null)]
    [InlineData(500, "max-age=60", null)]
    public void The_cache_time_is_the_configured_one_shortened_by_DataForges_cache_control(int status, string? cacheControl, int? seconds)
    {
        var headers = cacheControl is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["Cache-Control"] = cacheControl };
        var answer = new SharedAnswer(status, headers, [], 0);

        Assert.Equal(seconds is { } s ? TimeSpan.FromSeconds(s) : null, answer.CacheLimit(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void A_shared_answer_keeps_DataForges_back_off_and_content_headers_and_not_the_callers_own()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Response.StatusCode = 429;
        context.Response.Headers.RetryAfter = "7";
        context.Response.Headers.ContentType = "application/json";
        context.Response.Headers["RateLimit"] = "\"caller\";r=3;t=1";
        context.Response.Headers["Set-Cookie"] = "session=1";

        var answer = SharedAnswer.From(context.Response, [], DateTimeOffset.UnixEpoch);

        Assert.NotNull(answer);
        Assert.Equal("7", answer.Headers["Retry-After"]);
        Assert.Equal("application/json", answer.Headers["Content-Type"]);
        Assert.False(answer.Headers.ContainsKey("RateLimit"));
        Assert.False(answer.Headers.ContainsKey("Set-Cookie"));
    }

    [Theory]
    [InlineData("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("\"8e03978e\"", "8e03978e")]
    [InlineData("a b:c/d", "a b:c/d")]
    [InlineData("", null)]
    [InlineData("\"\"", null)]
    [InlineData("caf\u00e9", null)]
    [InlineData("tab\there", null)]
    public void An_idempotency_key_is_1_to_255_visible_ASCII_characters_bare_or_quoted(string sent, string? key)
    {
        Assert.Equal(key, IdempotencyMiddleware.ParseKey(sent));
    }

    [Fact]
    public void An_idempotency_key_of_255_characters_is_a_key_and_of_256_is_not()
    {
        Assert.NotNull(IdempotencyMiddleware.ParseKey(new string('k', 255)));
        Assert.Null(IdempotencyMiddleware.ParseKey(new string('k', 256)));
    }

    [Theory]
    [InlineData(200, true)]
    [InlineData(202, true)]
    [InlineData(404, true)]
    [InlineData(408, false)]
    [InlineData(425, false)]
    [InlineData(429, false)]
    [InlineData(500, false)]
    [InlineData(503, false)]
    public void Only_a_final_answer_is_kept_for_retries_with_the_same_key(int status, bool kept)
    {
        Assert.Equal(kept, IdempotencyMiddleware.IsFinal(status));
    }

    [Theory]
    [InlineData("*", false)]
    [InlineData("Accept, Cookie", false)]
    [InlineData("accept-language", true)]
    [InlineData("Accept, Accept-Language", true)]
    public void An_answer_is_shareable_only_if_it_varies_on_nothing_but_the_negotiation_headers_in_the_key(string vary, bool shareable)
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Response.Headers.Vary = vary;

        Assert.Equal(shareable, SharedAnswer.From(context.Response, [], DateTimeOffset.UnixEpoch) is not null);
    }
}
