namespace DataForge.Sandbox;

/// <summary>What a test or an operator can change while the sandbox runs: failures to inject, a rotated secret.</summary>
public sealed class SandboxSwitches
{
    /// <summary>When set, <c>/oauth/token</c> answers with this status and Auth0's error body for it (200: an HTML page).</summary>
    public int? TokenEndpointStatus { get; set; }

    /// <summary>When set, <c>/oauth/token</c> waits this long before answering, like a slow tenant.</summary>
    public TimeSpan? TokenEndpointDelay { get; set; }

    /// <summary>When set, the <c>Retry-After</c> (and <c>x-ratelimit-reset</c>) of the token endpoint's 429, instead of 2 s.</summary>
    public TimeSpan? TokenEndpointRetryAfter { get; set; }

    /// <summary>When set, the DataForge routes take this long to answer, like a busy environment.</summary>
    public TimeSpan? ApiDelay { get; set; }

    /// <summary>When set, the DataForge routes answer with this status.</summary>
    public int? ApiStatus { get; set; }

    /// <summary>
    /// When set, DataForge answers like a careless upstream: an error page that echoes the request's bearer token,
    /// with cookies, <c>WWW-Authenticate</c>, its <c>Server</c>, internal headers and the token in an <c>ETag</c>.
    /// </summary>
    public bool ApiLeaks { get; set; }

    /// <summary>When set, DataForge's answers carry this <c>Cache-Control</c>, as a DataForge that says how long an answer keeps.</summary>
    public string? ApiCacheControl { get; set; }

    /// <summary>When set, DataForge's answers carry this <c>Vary</c>, as a DataForge whose answers depend on request headers.</summary>
    public string? ApiVary { get; set; }

    /// <summary>When set, the source lists are padded to about this many bytes, as a large answer.</summary>
    public int? ApiPaddingBytes { get; set; }

    /// <summary>When set, the tenant's client secret from now on, as after a rotation in the Auth0 dashboard.</summary>
    public string? ClientSecret { get; set; }
}
