namespace DataForgeGateway.Tokens;

/// <summary>What the token transforms tell the replay middleware about one forwarding attempt.</summary>
internal sealed class TokenAttempt
{
    /// <summary>The token the request was sent with.</summary>
    public AccessToken? Sent { get; set; }

    /// <summary>DataForge answered 401 to it; its body was held back so the request can be answered anew.</summary>
    public bool Rejected { get; set; }
}
