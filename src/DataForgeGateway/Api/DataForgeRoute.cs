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

    /// <summary>The path segment every operation's path begins with, after its environment if any.</summary>
    public const string ExternalSegment = "external";

    /// <summary>The prefix every operation's path has after its environment, if any.</summary>
    public const string ExternalPrefix = "/" + ExternalSegment + "/";

    /// <summary>The words of the routes' own paths: the external segment and the operation names.</summary>
    public static IReadOnlyList<string> PathWords { get; } = [ExternalSegment, .. DataForgeOperation.Names];

    /// <summary>The environment named by a path of the shape <c>/{environment}/external/{operation}...</c> that no route matched, or null.</summary>
    public static string? EnvironmentOfUnmatched(ReadOnlySpan<char> path)
    {
        if (path.Length < 2 || path[0] != '/')
        {
            return null;
        }

        var end = path[1..].IndexOf('/');
        var rest = end < 0 ? default : path[(end + 1)..];
        if (end <= 0 || !rest.StartsWith(ExternalPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        foreach (var operation in DataForgeOperation.All)
        {
            if (rest[ExternalPrefix.Length..].StartsWith(operation.Name, StringComparison.OrdinalIgnoreCase))
            {
                return path[1..(end + 1)].ToString();
            }
        }

        return null;
    }
}

public static class DataForgeRouteExtensions
{
    /// <summary>The DataForge route the request matched, or null for any other path.</summary>
    public static DataForgeRoute? GetDataForgeRoute(this HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<DataForgeRoute>();
}
