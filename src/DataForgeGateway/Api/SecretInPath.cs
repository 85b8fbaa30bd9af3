namespace DataForgeGateway.Api;

/// <summary>Set on a request whose path held a key: what operators see of it (audit, spans) is masked.</summary>
public sealed class SecretInPath
{
    public static readonly SecretInPath Instance = new();
}
