using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Callers;

/// <summary>The internal services allowed to call the gateway, by name.</summary>
public sealed partial class CallersOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Callers by name (for example <c>billing-svc</c>); the name is what audit and metrics show.</summary>
    public Dictionary<string, CallerOptions> Callers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Every key must be a well-formed hash, and no hash may belong to two callers.</summary>
    internal sealed partial class Validator(IConfiguration configuration) : IValidateOptions<CallersOptions>
    {
        public ValidateOptionsResult Validate(string? name, CallersOptions options)
        {
            var environments = configuration.GetSection($"{SectionName}:Environments").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);
            var failures = new List<string>();
            if (options.Callers.Count == 0)
            {
                failures.Add($"{SectionName}:Callers must define at least one caller with at least one key.");
            }

            var owners = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (caller, settings) in options.Callers)
            {
                var key = $"{SectionName}:Callers:{caller}";
                if (!CallerName().IsMatch(caller))
                {
                    failures.Add($"{key} is not a valid caller name: use letters, digits, '.', '_' and '-'.");
                }

                if (settings.Keys.Count == 0)
                {
                    failures.Add($"{key}:Keys must hold at least one key.");
                }

                for (var i = 0; i < settings.Environments.Count; i++)
                {
                    if (settings.Environments[i] != "*" && !environments.Contains(settings.Environments[i]))
                    {
                        failures.Add($"{key}:Environments:{i} names an environment that is not under {SectionName}:Environments.");
                    }
                }

                for (var i = 0; i < settings.Keys.Count; i++)
                {
                    var hash = settings.Keys[i].Sha256;
                    if (!KeyDigest.TryParse(hash, out _))
                    {
                        failures.Add($"{key}:Keys:{i}:Sha256 must be the lower-case hex SHA-256 of the key (64 characters).");
                    }
                    else if (!owners.TryAdd(hash, caller))
                    {
                        failures.Add($"{key}:Keys:{i}:Sha256 is also a key of caller '{owners[hash]}': every key belongs to one caller.");
                    }
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
        private static partial Regex CallerName();
    }
}

/// <summary>One internal service that calls the gateway.</summary>
public sealed class CallerOptions
{
    /// <summary>The caller's API keys, stored only as hashes. Several keys let a caller rotate without downtime.</summary>
    public List<ApiKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// The environments the caller may use, by name; <c>*</c> for all. Empty: only the default environment
    /// (<c>/external/...</c> and its named form).
    /// </summary>
    public List<string> Environments { get; set; } = [];
}

/// <summary>One API key, as its hash.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 bytes (<c>printf %s "$KEY" | sha256sum</c>).</summary>
    public string Sha256 { get; set; } = "";
}
