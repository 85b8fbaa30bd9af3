using System.Collections.Frozen;

namespace DataForgeGateway.Api;

/// <summary>
/// One of the four operations of the DataForge External API, the only requests the gateway forwards, with its
/// parameters and their rules. Everything that knows the API reads it from here: routes, validation, permission
/// checks, what DataForge is sent, the audit's path masks, the names configuration accepts, the OpenAPI document.
/// </summary>
public sealed record DataForgeOperation(string Name, string Method, string PathTemplate, string Summary, IReadOnlyList<ApiParameter> Parameters)
{
    /// <summary>Starts an ingestion ("pull data now") of a source.</summary>
    public static readonly DataForgeOperation SourcePull = new(
        "source-pull", HttpMethods.Post, "/external/source-pull/{sourceId}", "Start an ingestion of a source (pull data now).",
        [new("sourceId", ParameterLocation.Path, ParameterRule.Id, ParameterMeaning.Source, Required: true, "The source to pull.")]);

    /// <summary>Lists a source's inputs, filtered by limit and effective status.</summary>
    public static readonly DataForgeOperation InputsFiltered = new(
        "inputs-filtered", HttpMethods.Post, "/external/inputs-filtered", "List a source's inputs, filtered by effective status.",
        [
            new("source_id", ParameterLocation.Body, ParameterRule.Id, ParameterMeaning.Source, Required: true, "The source whose inputs are listed."),
            new("limit", ParameterLocation.Body, ParameterRule.Limit, ParameterMeaning.None, Required: true, "How many inputs at most."),
            new("effective_filter", ParameterLocation.Body, ParameterRule.Flag, ParameterMeaning.None, Required: true, "Only effective inputs (true) or all (false)."),
        ]);

    /// <summary>Lists the sources of a project.</summary>
    public static readonly DataForgeOperation Sources = new(
        "sources", HttpMethods.Get, "/external/sources", "List the sources of a project.",
        [new("projectId", ParameterLocation.Query, ParameterRule.Id, ParameterMeaning.Project, Required: false, "The project whose sources are listed.")]);

    /// <summary>Lists the sources of a project whose name contains a filter.</summary>
    public static readonly DataForgeOperation SourcesFilteredByName = new(
        "sources-filtered-by-name", HttpMethods.Get, "/external/sources-filtered-by-name/{filter}", "List the sources whose name contains a text.",
        [
            new("filter", ParameterLocation.Path, ParameterRule.NameFilter, ParameterMeaning.NameFilter, Required: true, "Any section of a source name."),
            new("projectId", ParameterLocation.Query, ParameterRule.Id, ParameterMeaning.Project, Required: false, "The project whose sources are searched."),
        ]);

    /// <summary>All four, in the vendor's order.</summary>
    public static IReadOnlyList<DataForgeOperation> All { get; } = [SourcePull, InputsFiltered, Sources, SourcesFilteredByName];

    private static readonly FrozenDictionary<string, DataForgeOperation> ByName = All.ToFrozenDictionary(o => o.Name, StringComparer.Ordinal);

    /// <summary>The names, as configuration and metrics spell them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(o => o.Name)];

    /// <summary>The operation called <paramref name="name"/>, or null.</summary>
    public static DataForgeOperation? Find(string? name) => name is not null && ByName.TryGetValue(name, out var operation) ? operation : null;

    /// <summary>Whether the operation takes a JSON body.</summary>
    public bool HasBody { get; } = Parameters.Any(p => p.In == ParameterLocation.Body);

    /// <summary>Whether the operation only reads: its answer depends on its path and query alone.</summary>
    public bool IsRead => Method == HttpMethods.Get;

    /// <summary>The position of the parameter called <paramref name="name"/> sent at <paramref name="location"/>, or -1.</summary>
    public int IndexOf(ReadOnlySpan<char> name, ParameterLocation location)
    {
        for (var i = 0; i < Parameters.Count; i++)
        {
            if (Parameters[i].In == location && name.SequenceEqual(Parameters[i].Name))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The words of its path, which masks of unmatched paths keep.</summary>
    public IEnumerable<string> FixedSegments => PathTemplate.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => !s.StartsWith('{'));
}

/// <summary>Where a parameter is sent.</summary>
public enum ParameterLocation
{
    Path,
    Query,
    Body,
}

/// <summary>What a parameter means to the gateway: permissions and the audit read these.</summary>
public enum ParameterMeaning
{
    None,
    Project,
    Source,
    NameFilter,
}

/// <summary>A parameter of an operation.</summary>
public sealed record ApiParameter(string Name, ParameterLocation In, ParameterRule Rule, ParameterMeaning Meaning, bool Required, string Description);

/// <summary>
/// What a parameter's value must be, as text: every value reaches DataForge as the string the gateway checked.
/// <paramref name="Pattern"/> and the lengths are the JSON Schema the OpenAPI document shows.
/// </summary>
public sealed record ParameterRule(string Describes, string Pattern, int MaxLength)
{
    /// <summary>A project or source id: 1 to 18 digits.</summary>
    public static readonly ParameterRule Id = new("an id (digits)", "^[0-9]{1,18}$", 18);

    /// <summary>Any section of a source name (see <see cref="Api.NameFilter"/>).</summary>
    public static readonly ParameterRule NameFilter = new(
        $"1 to {Api.NameFilter.MaxLength} characters of a source name, without '/' or '\\' and not '.' or '..'", "^[^/\\\\]{1,100}$", Api.NameFilter.MaxLength);

    /// <summary>A whole number from 1 to the configured <c>Gateway:Requests:MaxInputsLimit</c>.</summary>
    public static readonly ParameterRule Limit = new("a whole number from 1 to the gateway's MaxInputsLimit", "^[1-9][0-9]{0,9}$", 10);

    /// <summary><c>true</c> or <c>false</c>.</summary>
    public static readonly ParameterRule Flag = new("\"true\" or \"false\"", "^(true|false)$", 5);

    /// <summary>
    /// The value as DataForge is sent it when it follows the rule (<paramref name="maxLimit"/> bounds
    /// <see cref="Limit"/>; a limit is sent as its number, <c>007</c> as <c>7</c>), else null.
    /// </summary>
    public string? Canonical(string? value, int maxLimit)
    {
        if (ReferenceEquals(this, Id))
        {
            return IsId(value) ? value : null;
        }

        if (ReferenceEquals(this, Limit))
        {
            return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var limit) && limit >= 1 && limit <= maxLimit
                ? limit.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : null;
        }

        if (ReferenceEquals(this, Flag))
        {
            return value is "true" or "false" ? value : null;
        }

        return value is not null && Api.NameFilter.WhyNot(value) is null ? value : null;
    }

    /// <summary>A project or source id: 1 to 18 digits (fits a signed 64-bit number).</summary>
    public static bool IsId(string? value) => value is { Length: > 0 and <= 18 } && !value.AsSpan().ContainsAnyExceptInRange('0', '9');
}
