using System.Text.RegularExpressions;

namespace DataForgeGateway.Soak;

/// <summary>No secret of the run (client secrets old and new, every API key, the encryption key) and nothing shaped like a JWT in any output.</summary>
internal static partial class SecretScan
{
    public static void Run(Deployment deployment, Observations observations)
    {
        foreach (var file in Directory.EnumerateFiles(deployment.LogDirectory))
        {
            var text = File.ReadAllText(file);
            foreach (var secret in deployment.Secrets.Where(secret => text.Contains(secret, StringComparison.Ordinal)))
            {
                observations.Violation($"secret scan: {Path.GetFileName(file)} contains a secret ({secret[..12]}...)");
            }

            if (Jwt().IsMatch(text))
            {
                observations.Violation($"secret scan: {Path.GetFileName(file)} contains a JWT");
            }
        }
    }

    [GeneratedRegex(@"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")]
    private static partial Regex Jwt();
}
