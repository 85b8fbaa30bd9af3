namespace DataForgeGateway.Api;

/// <summary>
/// Which DataForge environment and operation a route forwards to: endpoint metadata, attached once when the route
/// is built, read by every stage instead of looking up route strings.
/// </summary>
public sealed record DataForgeRoute(string Environment, DataForgeOperation Operation)
{
    private const string EnvironmentKey = "DataForge.Environment";
    private const string OperationKey = "DataForge.Operation";

    /// <summary>The route as YARP's configuration model carries it (string metadata).</summary>
    public Dictionary<string, string> ToMetadata() => new() { [EnvironmentKey] = Environment, [OperationKey] = Operation.Name };

    /// <summary>The route a YARP route's metadata describes, or null for a route that is not a DataForge operation.</summary>
    public static DataForgeRoute? FromMetadata(IReadOnlyDictionary<string, string>? metadata) =>
        metadata is not null
        && metadata.TryGetValue(EnvironmentKey, out var environment)
        && DataForgeOperation.Find(metadata.GetValueOrDefault(OperationKey)) is { } operation
            ? new DataForgeRoute(environment, operation)
            : null;
}

public static class DataForgeRouteExtensions
{
    /// <summary>The DataForge route the request matched, or null for any other path.</summary>
    public static DataForgeRoute? GetDataForgeRoute(this HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<DataForgeRoute>();
}
