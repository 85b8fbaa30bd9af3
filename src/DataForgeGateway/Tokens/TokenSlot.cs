namespace DataForgeGateway.Tokens;

/// <summary>One environment's token on this replica: its state is replaced whole under the gate and read without it.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A slot lives as long as the process; a source that was never linked to a timer holds nothing to release.")]
internal sealed class TokenSlot
{
    private volatile SlotState _state = SlotState.Empty;
    private CancellationTokenSource _nudge = new();

    public SlotState State
    {
        get => _state;
        set => _state = value;
    }

    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Cancelled when the background refresh should look again now, not at its next planned time.</summary>
    public CancellationToken Nudges => Volatile.Read(ref _nudge).Token;

    /// <summary>Wakes the background refresh (the environment's Auth0 settings changed).</summary>
    public void Nudge() => Interlocked.Exchange(ref _nudge, new CancellationTokenSource()).Cancel();
}

/// <param name="Token">The token requests are given.</param>
/// <param name="Served">The answer a request served from memory gets: made once per token, so a hit allocates nothing.</param>
/// <param name="RefreshAt">When the background refresh renews it.</param>
/// <param name="AdoptedAt">When this replica took it.</param>
/// <param name="Failures">Token requests failed in a row.</param>
/// <param name="NextAttemptAt">No token request before this, after a failure.</param>
/// <param name="LastFailure">What the last failed token request came to.</param>
/// <param name="Refusals">Renewals in a row that replaced a token DataForge refused without ever accepting it.</param>
internal sealed record SlotState(
    AccessToken? Token,
    TokenResult? Served,
    DateTimeOffset RefreshAt,
    DateTimeOffset AdoptedAt,
    int Failures,
    DateTimeOffset NextAttemptAt,
    TokenResult? LastFailure,
    int Refusals)
{
    public static readonly SlotState Empty = new(null, null, default, default, 0, DateTimeOffset.MinValue, null, 0);

    /// <summary>
    /// Whether this replica can serve the environment: a usable token; none because something passing may clear
    /// (Auth0 down, slow, rate limiting); or none because it cannot work as configured (Auth0 refuses the
    /// credentials, or DataForge refuses even fresh tokens).
    /// </summary>
    public TokenReadiness Readiness(DateTimeOffset now) =>
        Token is { } token && token.IsUsableAt(now) ? TokenReadiness.Usable
        : LastFailure?.Failure == TokenFailure.Rejected || Token is { Refused: true, Accepted: false } && Refusals > 0 ? TokenReadiness.Refused
        : TokenReadiness.Unavailable;

    /// <summary>The replica cannot serve the environment until a token comes, and this failure may pass by itself.</summary>
    public bool WithoutToken(TokenResult failure, DateTimeOffset now) => failure.Failure != TokenFailure.Rejected && Token?.IsUsableAt(now) != true;
}

/// <summary>Why a token is being renewed.</summary>
internal enum Trigger
{
    /// <summary>No usable token: a request is waiting.</summary>
    Expired,

    /// <summary>DataForge refused the token a request carried.</summary>
    Rejected,

    /// <summary>The background refresh, before the token is needed.</summary>
    Background,
}

/// <summary>How a renewal behaves, by what triggered it: the one table <see cref="AccessTokenProvider"/> follows.</summary>
/// <param name="Name">As metrics and spans show it.</param>
/// <param name="StillGood">Whether the current token needs no renewal (another request may have renewed it meanwhile).</param>
/// <param name="KeepsUsableToken">While backing off or after a failure, a token that may still be sent is answered rather than the failure.</param>
/// <param name="WantsNewer">Only a token newer than the current one is worth taking from another replica.</param>
/// <param name="FollowsCancellation">The fetch stops with the trigger's cancellation; a request's does not waste a fetch every waiting request needs.</param>
internal sealed record TriggerRule(string Name, Func<SlotState, AccessToken, DateTimeOffset, bool> StillGood, bool KeepsUsableToken, bool WantsNewer, bool FollowsCancellation)
{
    public static TriggerRule For(Trigger trigger) => trigger switch
    {
        Trigger.Rejected => Rejected,
        Trigger.Background => Background,
        _ => Expired,
    };

    /// <summary>Every rule's name: the refresh counter starts at zero for each, so a dashboard shows 0, not "No data".</summary>
    public static IReadOnlyList<string> Names => [Expired.Name, Rejected.Name, Background.Name];

    private static readonly TriggerRule Expired = new("expired", static (_, token, now) => token.IsUsableAt(now), KeepsUsableToken: true, WantsNewer: false, FollowsCancellation: false);

    private static readonly TriggerRule Rejected = new("rejected", static (_, token, now) => token.IsUsableAt(now), KeepsUsableToken: false, WantsNewer: false, FollowsCancellation: false);

    private static readonly TriggerRule Background = new("background", static (state, token, now) => token.IsUsableAt(now) && now < state.RefreshAt, KeepsUsableToken: true, WantsNewer: true, FollowsCancellation: true);
}
