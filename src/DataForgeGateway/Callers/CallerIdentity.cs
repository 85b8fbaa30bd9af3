using System.Collections.Frozen;
using System.Security.Claims;
using System.Security.Principal;

namespace DataForgeGateway.Callers;

/// <summary>An authenticated caller: its name (what logs and metrics show), the key or workload identity it used, and what it may do.</summary>
public sealed class CallerIdentity : ClaimsIdentity
{
    public CallerIdentity(string name, string? keyId, CallerOptions settings, string? subject = null)
        : base([new Claim(ClaimTypes.Name, name)], subject is null ? ApiKeyMiddleware.SchemeName : WorkloadTokenMiddleware.SchemeName)
    {
        Name = name;
        KeyId = keyId;
        Subject = subject;
        AllEnvironments = settings.Environments.Contains("*");
        Environments = settings.Environments.Where(e => e != "*").ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        Operations = settings.Operations.ToFrozenSet(StringComparer.Ordinal);
        ProjectIds = settings.ProjectIds.ToFrozenSet(StringComparer.Ordinal);
        SourceIds = settings.SourceIds.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>The caller's name; also its name claim. Held as is: the base class would search the claims on every read.</summary>
    public override string Name { get; }

    /// <summary>The public id of the key the caller presented; null for a key configured by hash alone.</summary>
    public string? KeyId { get; }

    /// <summary>The workload's subject (its token's <c>sub</c>) when the caller proved its identity with a workload token; null for a key.</summary>
    public string? Subject { get; }

    /// <summary>The caller may use every environment.</summary>
    public bool AllEnvironments { get; }

    /// <summary>The environments the caller may use; empty: the default one only.</summary>
    public FrozenSet<string> Environments { get; }

    /// <summary>The operations the caller may call; empty: all.</summary>
    public FrozenSet<string> Operations { get; }

    /// <summary>The projects the caller may read; empty: any.</summary>
    public FrozenSet<string> ProjectIds { get; }

    /// <summary>The sources the caller may pull or read; empty: any.</summary>
    public FrozenSet<string> SourceIds { get; }

    public bool MayUse(string environment, string defaultEnvironment) =>
        AllEnvironments
        || Environments.Contains(environment)
        || (Environments.Count == 0 && string.Equals(environment, defaultEnvironment, StringComparison.OrdinalIgnoreCase));

    public bool MayCall(string operation) => Operations.Count == 0 || Operations.Contains(operation);

    public bool MayReadProject(string projectId) => ProjectIds.Count == 0 || ProjectIds.Contains(projectId);

    public bool MayUseSource(string sourceId) => SourceIds.Count == 0 || SourceIds.Contains(sourceId);
}

/// <summary>
/// The request's user once its key checked out. <see cref="ClaimsPrincipal.Identity"/> would walk the identities
/// (an enumerator allocated) on each of the several reads a request makes; this one has a single identity to hand.
/// </summary>
public sealed class CallerPrincipal(CallerIdentity caller) : ClaimsPrincipal(caller)
{
    public override IIdentity Identity => caller;
}
