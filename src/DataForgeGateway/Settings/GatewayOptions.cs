using System.Text.RegularExpressions;
using DataForgeGateway.Api;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Settings;

/// <summary>The DataForge environments the gateway forwards to, and which one <c>/external/...</c> means.</summary>
public sealed partial class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The environment that <c>/external/...</c> is forwarded to; must name one of <see cref="Environments"/>.</summary>
    public string DefaultEnvironment { get; set; } = "";

    /// <summary>DataForge environments by name (lower-case letters, digits and dashes), each with its own Auth0 tenant.</summary>
    public Dictionary<string, DataForgeEnvironmentOptions> Environments { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Checks what binding alone cannot: names, URLs, and that every required value is present.</summary>
    internal sealed partial class Validator : IValidateOptions<GatewayOptions>
    {
        private const string Prefix = SectionName + ":";

        public ValidateOptionsResult Validate(string? name, GatewayOptions options)
        {
            var failures = new List<string>();
            if (options.Environments.Count == 0)
            {
                failures.Add($"{Prefix}Environments must define at least one DataForge environment.");
            }

            if (string.IsNullOrWhiteSpace(options.DefaultEnvironment))
            {
                failures.Add($"{Prefix}DefaultEnvironment is required: it names the environment that /external/... goes to.");
            }
            else if (options.Environments.Count > 0 && !options.Environments.ContainsKey(options.DefaultEnvironment))
            {
                failures.Add($"{Prefix}DefaultEnvironment names an environment that is not under {Prefix}Environments.");
            }

            foreach (var (environment, settings) in options.Environments)
            {
                var key = $"{Prefix}Environments:{environment}";
                if (!EnvironmentName().IsMatch(environment) || ReservedNames.Contains(environment))
                {
                    failures.Add($"{key} is not a valid environment name: use lower-case letters, digits and dashes, and not 'external' or 'health'.");
                }

                if (!IsHttpUrl(settings.BaseUrl))
                {
                    failures.Add($"{key}:BaseUrl is required and must be an absolute http or https URL.");
                }

                settings.Auth0.Validate($"{key}:Auth0", failures);
                if (settings.MaxConcurrentRequests is < 1 or > 100_000)
                {
                    failures.Add($"{key}:MaxConcurrentRequests must be from 1 to 100000.");
                }

                if (settings.MaxQueuedRequests is < 0 or > 1_000_000)
                {
                    failures.Add($"{key}:MaxQueuedRequests must be from 0 to 1000000.");
                }

                if (settings.QueueTimeout <= TimeSpan.Zero)
                {
                    failures.Add($"{key}:QueueTimeout must be more than zero.");
                }

                if (settings.MaxCallerShare is not (> 0 and <= 1))
                {
                    failures.Add($"{key}:MaxCallerShare must be more than 0 and at most 1.");
                }

                ValidateTimeout($"{key}:UpstreamTimeout", settings.UpstreamTimeout, failures);
                foreach (var (operation, timeout) in settings.OperationTimeouts)
                {
                    if (DataForgeOperation.Find(operation) is null)
                    {
                        failures.Add($"{key}:OperationTimeouts:{operation} names no DataForge operation ({string.Join(", ", DataForgeOperation.Names)}).");
                    }

                    ValidateTimeout($"{key}:OperationTimeouts:{operation}", timeout, failures);
                }
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static void ValidateTimeout(string key, TimeSpan timeout, List<string> failures)
        {
            if (timeout <= TimeSpan.Zero || timeout > TimeSpan.FromMinutes(10))
            {
                failures.Add($"{key} must be more than zero and at most 00:10:00.");
            }
        }

        /// <summary>Names that would make <c>/{environment}/...</c> clash with another path.</summary>
        private static readonly HashSet<string> ReservedNames = new(StringComparer.OrdinalIgnoreCase) { DataForgeRoute.ExternalSegment, "health", "oauth" };

        internal static bool IsHttpUrl(string? value) =>
            Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp);

        [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")]
        private static partial Regex EnvironmentName();
    }
}
