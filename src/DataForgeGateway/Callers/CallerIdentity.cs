using System.Collections.Frozen;
using System.Security.Claims;

namespace DataForgeGateway.Callers;

/// <summary>An authenticated caller: its name (what logs and metrics show) and what it may do.</summary>
public sealed class CallerIdentity : ClaimsIdentity
{
    public CallerIdentity(string name, CallerOptions settings)
        : base([new Claim(ClaimTypes.Name, name)], ApiKeyAuthenticationHandler.SchemeName)
    {
        AllEnvironments = settings.Environments.Contains("*");
        Environments = settings.Environments.Where(e => e != "*").ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The caller may use every environment.</summary>
    public bool AllEnvironments { get; }

    /// <summary>The environments the caller may use besides the default one.</summary>
    public FrozenSet<string> Environments { get; }

    public bool MayUse(string environment, string defaultEnvironment) =>
        AllEnvironments
        || Environments.Contains(environment)
        || (Environments.Count == 0 && string.Equals(environment, defaultEnvironment, StringComparison.OrdinalIgnoreCase));
}
