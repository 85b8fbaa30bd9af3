namespace DataForgeGateway.Routing;

/// <summary>
/// A request that passed validation, as DataForge is to receive it: its canonical path and query, built from the
/// checked values (the case and encoding the caller used do not reach DataForge), and its decoded name filter.
/// </summary>
internal sealed record ValidatedRequest(string PathAndQuery, string? NameFilter);
