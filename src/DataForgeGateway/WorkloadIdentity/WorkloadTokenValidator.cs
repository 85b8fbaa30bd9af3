using System.Collections.Frozen;
using DataForgeGateway.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>What checking a workload token came to.</summary>
internal enum WorkloadTokenCheck
{
    Valid,
    Malformed,
    Expired,
    NotYetValid,
    WrongAudience,
    UnknownIssuer,
    BadSignature,
    KeysUnavailable,
}

/// <summary>A checked workload token: valid, with the issuer's configured name and the token's <c>sub</c>; or why not.</summary>
internal readonly record struct WorkloadToken(WorkloadTokenCheck Check, string? Issuer = null, string? Subject = null);

/// <summary>
/// Checks a workload's JWT as Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/> does: signature by a key of
/// the issuer named in <c>iss</c>, the issuer, the audience, <c>exp</c>/<c>nbf</c> with the configured skew, asymmetric
/// algorithms only. A token that checked out is remembered by its hash until it expires, so the signature is checked
/// once a token, not once a request; a new key set or a reload checks it again.
/// </summary>
internal sealed class WorkloadTokenValidator(LiveOptions<WorkloadIdentityOptions> options, IHttpClientFactory http, TimeProvider clock, ILoggerFactory loggers)
{
    /// <summary>Longer than any workload token (a Kubernetes one is about 1 KB); longer text is not one.</summary>
    public const int MaxTokenLength = 8192;

    /// <summary>How long a request waits for its issuer's keys when it needs them fetched.</summary>
    private static readonly TimeSpan KeyWait = TimeSpan.FromSeconds(5);

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly ValidatedTokens _validated = new();
    private readonly ILogger _logger = loggers.CreateLogger("DataForgeGateway.WorkloadIdentity.IssuerKeys");
    private volatile Registry? _registry;

    /// <summary>Whether any issuer is configured: without one, an <c>Authorization</c> header means nothing to the gateway.</summary>
    public bool Enabled => options.Current.Issuers.Count > 0;

    /// <summary>The configured issuers with their keys, as in force now.</summary>
    public IEnumerable<IssuerKeys> Issuers => Current().ByIssuer.Values.Select(i => i.Keys);

    /// <param name="token">The token as presented.</param>
    /// <param name="connection">The last token the request's connection presented and what it was found to be (null: none kept).</param>
    /// <param name="cancellationToken">The request's.</param>
    public ValueTask<WorkloadToken> ValidateAsync(string token, LastPresentedToken? connection, CancellationToken cancellationToken)
    {
        var registry = Current();
        if (connection?.Recall(token) is ValidatedToken same && Holds(same, registry))
        {
            return ValueTask.FromResult(Judge(same, registry));
        }

        if (token.Length is 0 or > MaxTokenLength || !System.Text.Ascii.IsValid(token))
        {
            return ValueTask.FromResult(new WorkloadToken(WorkloadTokenCheck.Malformed));
        }

        var digest = TokenDigest.Compute(token);
        if (_validated.TryGet(digest, out var known) && Holds(known, registry))
        {
            connection?.Remember(token, known);
            return ValueTask.FromResult(Judge(known, registry));
        }

        connection?.Remember(token, null);
        return ValidateNewAsync(token, digest, registry, connection, cancellationToken);
    }

    public ValueTask<WorkloadToken> ValidateAsync(string token, CancellationToken cancellationToken) => ValidateAsync(token, null, cancellationToken);

    /// <summary>
    /// The connection's last token again, still good: judged without copying it out of its header (a JWT is ~1 KB a
    /// request as a string). Null when it is another token, or no longer holds: then <see cref="ValidateAsync(string, LastPresentedToken?, CancellationToken)"/>.
    /// </summary>
    public WorkloadToken? Recall(ReadOnlySpan<char> token, LastPresentedToken? connection)
    {
        var registry = Current();
        return connection?.Recall(token) is ValidatedToken same && Holds(same, registry) ? Judge(same, registry) : null;
    }

    /// <summary>A token validated before still counts under these settings and its issuer's current keys.</summary>
    private static bool Holds(ValidatedToken known, Registry registry) =>
        ReferenceEquals(known.Registry, registry) && known.Issuer.Keys.Current?.Version == known.KeysVersion;

    /// <summary>A token validated before is good until it expires (with the skew); its expiry is checked on every use.</summary>
    private WorkloadToken Judge(ValidatedToken known, Registry registry) =>
        clock.GetUtcNow() < known.Expires + registry.Settings.ClockSkew
            ? new WorkloadToken(WorkloadTokenCheck.Valid, known.Issuer.Name, known.Subject)
            : new WorkloadToken(WorkloadTokenCheck.Expired);

    private async ValueTask<WorkloadToken> ValidateNewAsync(string token, TokenDigest digest, Registry registry, LastPresentedToken? connection, CancellationToken cancellationToken)
    {
        JsonWebToken jwt;
        string issuerUrl;
        try
        {
            jwt = new JsonWebToken(token);
            issuerUrl = jwt.Issuer;
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or System.Text.Json.JsonException)
        {
            return new WorkloadToken(WorkloadTokenCheck.Malformed);
        }

        if (!registry.ByIssuer.TryGetValue(issuerUrl, out var issuer))
        {
            return new WorkloadToken(WorkloadTokenCheck.UnknownIssuer);
        }

        var keys = issuer.Keys.Current;
        if (keys is null || (jwt.Kid is { Length: > 0 } kid && !keys.KeyIds.Contains(kid)))
        {
            keys = await issuer.Keys.RefreshForUnknownKeyAsync(registry.Settings.MinRefreshInterval, KeyWait, cancellationToken);
            if (keys is null)
            {
                return new WorkloadToken(WorkloadTokenCheck.KeysUnavailable);
            }
        }

        var result = await _handler.ValidateTokenAsync(jwt, issuer.ParametersFor(keys, registry.Settings.ClockSkew));
        if (!result.IsValid)
        {
            return new WorkloadToken(Refusal(result.Exception));
        }

        if (string.IsNullOrEmpty(jwt.Subject))
        {
            return new WorkloadToken(WorkloadTokenCheck.Malformed);
        }

        var subject = jwt.Subject;
        var validated = new ValidatedToken(registry, issuer, keys.Version, subject, new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        _validated.Add(digest, validated, registry.Settings.ValidatedTokenCacheSize, clock.GetUtcNow());
        if (registry.Settings.ValidatedTokenCacheSize > 0)
        {
            connection?.Remember(token, validated);
        }

        return new WorkloadToken(WorkloadTokenCheck.Valid, issuer.Name, subject);
    }

    /// <summary>Why the handler refused the token, as one of the reasons a caller is told.</summary>
    internal static WorkloadTokenCheck Refusal(Exception? e) => e switch
    {
        SecurityTokenExpiredException => WorkloadTokenCheck.Expired,
        SecurityTokenNotYetValidException => WorkloadTokenCheck.NotYetValid,
        SecurityTokenInvalidAudienceException => WorkloadTokenCheck.WrongAudience,
        SecurityTokenInvalidIssuerException => WorkloadTokenCheck.UnknownIssuer,
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException or SecurityTokenInvalidAlgorithmException => WorkloadTokenCheck.BadSignature,
        _ => WorkloadTokenCheck.Malformed,
    };

    private Registry Current()
    {
        var current = options.Current;
        var registry = _registry;
        if (registry is null || !ReferenceEquals(registry.Settings, current))
        {
            _registry = registry = Build(current, registry);
        }

        return registry;
    }

    /// <summary>The issuers of <paramref name="settings"/>; one whose keys come from where they came before keeps the keys it has.</summary>
    private Registry Build(WorkloadIdentityOptions settings, Registry? previous)
    {
        var byIssuer = new Dictionary<string, Issuer>(StringComparer.Ordinal);
        foreach (var (name, issuer) in settings.Issuers)
        {
            var keys = previous?.ByIssuer.Values.FirstOrDefault(p => p.Name == name && WorkloadIssuerOptions.SameKeySource(p.Keys.Settings, issuer))?.Keys
                ?? new IssuerKeys(name, issuer, http, clock, _logger);
            byIssuer.TryAdd(issuer.Issuer, new Issuer(name, issuer, keys));
        }

        return new Registry(settings, byIssuer.ToFrozenDictionary(StringComparer.Ordinal));
    }

    private sealed record Registry(WorkloadIdentityOptions Settings, FrozenDictionary<string, Issuer> ByIssuer);

    /// <summary>One configured issuer: its settings, its keys, and the validation parameters for its current key set.</summary>
    private sealed class Issuer(string name, WorkloadIssuerOptions settings, IssuerKeys keys)
    {
        private volatile Tuple<long, TokenValidationParameters>? _parameters;

        public string Name { get; } = name;

        public IssuerKeys Keys { get; } = keys;

        public TokenValidationParameters ParametersFor(KeySet keys, TimeSpan clockSkew)
        {
            if (_parameters is { } cached && cached.Item1 == keys.Version)
            {
                return cached.Item2;
            }

            var parameters = new TokenValidationParameters
            {
                ValidIssuer = settings.Issuer,
                ValidAudience = settings.Audience,
                IssuerSigningKeys = keys.Keys,
                ValidAlgorithms = settings.AcceptedAlgorithms,
                RequireSignedTokens = true,
                RequireExpirationTime = true,
                ValidateLifetime = true,
                ClockSkew = clockSkew,
                TryAllIssuerSigningKeys = true,
                SaveSigninToken = false,
            };
            _parameters = Tuple.Create(keys.Version, parameters);
            return parameters;
        }
    }

    private sealed record ValidatedToken(Registry Registry, Issuer Issuer, long KeysVersion, string Subject, DateTimeOffset Expires);

    /// <summary>Tokens that checked out, by hash; bounded: past the bound the expired go first, then everything.</summary>
    private sealed class ValidatedTokens
    {
        private readonly System.Collections.Concurrent.ConcurrentDictionary<TokenDigest, ValidatedToken> _entries = new();
        private int _count;

        public bool TryGet(TokenDigest digest, out ValidatedToken entry) => _entries.TryGetValue(digest, out entry!);

        public void Add(TokenDigest digest, ValidatedToken entry, int capacity, DateTimeOffset now)
        {
            if (capacity == 0)
            {
                return;
            }

            if (Volatile.Read(ref _count) >= capacity)
            {
                foreach (var (key, value) in _entries)
                {
                    if (value.Expires <= now && _entries.TryRemove(key, out _))
                    {
                        Interlocked.Decrement(ref _count);
                    }
                }

                if (Volatile.Read(ref _count) >= capacity)
                {
                    _entries.Clear();
                    Volatile.Write(ref _count, 0);
                }
            }

            if (_entries.TryAdd(digest, entry))
            {
                Interlocked.Increment(ref _count);
            }
            else
            {
                _entries[digest] = entry;
            }
        }
    }
}
