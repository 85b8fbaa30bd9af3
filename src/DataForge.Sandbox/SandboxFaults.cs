namespace DataForge.Sandbox;

/// <summary>Failures a test or an operator can switch on, to see how the gateway copes.</summary>
public sealed class SandboxFaults
{
    /// <summary>When set, <c>/oauth/token</c> answers with this status and Auth0's error body for it.</summary>
    public int? TokenEndpointStatus { get; set; }

    /// <summary>When set, the DataForge routes answer with this status.</summary>
    public int? ApiStatus { get; set; }
}
