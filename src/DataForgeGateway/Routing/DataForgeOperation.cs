namespace DataForgeGateway.Routing;

/// <summary>One of the four operations of the DataForge External API, the only requests the gateway forwards.</summary>
public sealed record DataForgeOperation(string Name, string Method, string PathTemplate)
{
    /// <summary>Starts an ingestion ("pull data now") of a source.</summary>
    public static readonly DataForgeOperation SourcePull = new("source-pull", HttpMethods.Post, "/external/source-pull/{sourceId}");

    /// <summary>Lists a source's inputs, filtered by limit and effective status.</summary>
    public static readonly DataForgeOperation InputsFiltered = new("inputs-filtered", HttpMethods.Post, "/external/inputs-filtered");

    /// <summary>Lists the sources of a project.</summary>
    public static readonly DataForgeOperation Sources = new("sources", HttpMethods.Get, "/external/sources");

    /// <summary>Lists the sources of a project whose name contains a filter.</summary>
    public static readonly DataForgeOperation SourcesFilteredByName = new("sources-filtered-by-name", HttpMethods.Get, "/external/sources-filtered-by-name/{filter}");

    /// <summary>All four, in the vendor's order.</summary>
    public static IReadOnlyList<DataForgeOperation> All { get; } = [SourcePull, InputsFiltered, Sources, SourcesFilteredByName];
}
