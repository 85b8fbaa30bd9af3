using Yarp.ReverseProxy.Configuration;

namespace DataForgeGateway.Routing;

/// <summary>The keys the gateway puts in each YARP route's metadata, so later stages know what a request is.</summary>
internal static class RouteMetadata
{
    public const string Environment = "DataForge.Environment";
    public const string Operation = "DataForge.Operation";

    public static string? EnvironmentOf(RouteConfig route) => route.Metadata?.GetValueOrDefault(Environment);
}
