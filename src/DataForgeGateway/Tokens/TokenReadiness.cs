namespace DataForgeGateway.Tokens;

/// <summary>Whether a replica can serve an environment, as far as its token goes.</summary>
internal enum TokenReadiness
{
    /// <summary>A usable token is held.</summary>
    Usable,

    /// <summary>None now, for a reason that passes (Auth0 down, slow, rate limiting).</summary>
    Unavailable,

    /// <summary>None, and none will come as configured: Auth0 refuses the credentials, or DataForge refuses even fresh tokens.</summary>
    Refused,
}
