namespace DataForgeGateway.Callers;

/// <summary>Authorization policies the routes refer to by name.</summary>
public static class CallerPolicies
{
    /// <summary>A caller with a valid API key.</summary>
    public const string DataForgeCaller = "DataForgeCaller";
}
