using DataForgeGateway.Tokens;

namespace DataForgeGateway.Routing;

/// <summary>One DataForge environment: where its External API is and how to get a token for it.</summary>
public sealed class DataForgeEnvironmentOptions
{
    /// <summary>Base URL of the environment's API, for example <c>https://stage.api.dataforgedev.com</c>.</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>The Auth0 M2M application the gateway gets this environment's tokens from.</summary>
    public Auth0Options Auth0 { get; set; } = new();
}
