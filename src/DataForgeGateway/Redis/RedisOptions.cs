using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataForgeGateway.Redis;

/// <summary>Whether a replica is Ready while Redis does not answer (<see cref="RedisOptions.ReadinessWhenDown"/>).</summary>
public enum RedisReadiness
{
    /// <summary>Not Ready when the default rate-limit policy fails closed without Redis; Ready (Degraded) otherwise.</summary>
    FollowRateLimits,

    /// <summary>Ready (Degraded): the replica serves on its own caches.</summary>
    Ready,

    /// <summary>Not Ready.</summary>
    NotReady,
}

/// <summary>The Redis every replica shares. Empty connection string: one replica, in-process caches only.</summary>
public sealed class RedisOptions
{
    public const string SectionName = "Gateway:Redis";

    /// <summary>A StackExchange.Redis connection string, for example <c>redis:6379,password=...,ssl=true</c>.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Prefix of every key the gateway writes, so several deployments can share one Redis.</summary>
    public string InstanceName { get; set; } = "dataforge-gateway:";

    /// <summary>
    /// How long one Redis command may take before the gateway goes on without Redis (unless the connection string
    /// sets <c>asyncTimeout</c> itself). Short: a slow Redis must not slow requests down.
    /// </summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether this replica is Ready while Redis does not answer. <c>FollowRateLimits</c>: not Ready when the rate
    /// limits fail closed without Redis (<c>Gateway:RateLimits:OnRedisFailure</c> is <c>Closed</c>, so every request
    /// would get 503), Ready otherwise; <c>Ready</c>: always (Degraded); <c>NotReady</c>: never.
    /// </summary>
    public RedisReadiness ReadinessWhenDown { get; set; } = RedisReadiness.FollowRateLimits;

    /// <summary>Whether a shared Redis is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);

    /// <summary>
    /// The connection string as StackExchange.Redis reads it; a <c>redis://[user:password@]host[:port][/db]</c> or
    /// <c>rediss://</c> URI (the form many managed offerings print) is read as the same settings.
    /// </summary>
    public ConfigurationOptions Parse()
    {
        if (!ConnectionString.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) && !ConnectionString.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
        {
            return ConfigurationOptions.Parse(ConnectionString);
        }

        if (!Uri.TryCreate(ConnectionString, UriKind.Absolute, out var uri) || uri.Host.Length == 0 || (uri.AbsolutePath.Length > 1 && !int.TryParse(uri.AbsolutePath[1..], out _)))
        {
            throw new ArgumentException("Not a redis:// URI: redis://[user:password@]host[:port][/database].");
        }

        var options = new ConfigurationOptions { Ssl = uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase) };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port);
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            (options.User, options.Password) = parts.Length == 2
                ? (Uri.UnescapeDataString(parts[0]) is { Length: > 0 } user ? user : null, Uri.UnescapeDataString(parts[1]))
                : (null, Uri.UnescapeDataString(parts[0]));
        }

        if (uri.AbsolutePath.Length > 1)
        {
            options.DefaultDatabase = int.Parse(uri.AbsolutePath[1..], System.Globalization.CultureInfo.InvariantCulture);
        }

        return options;
    }

    internal sealed class Validator : IValidateOptions<RedisOptions>
    {
        public ValidateOptionsResult Validate(string? name, RedisOptions options)
        {
            var failures = new List<string>();
            if (options.Enabled && !TryParse(options))
            {
                failures.Add($"{SectionName}:ConnectionString is not a valid StackExchange.Redis connection string (host:port,password=...) nor a redis:// URI.");
            }

            if (options.InstanceName.IndexOfAny(['{', '}']) >= 0)
            {
                failures.Add($"{SectionName}:InstanceName must not contain '{{' or '}}': the gateway's keys carry hash tags of their own (one per caller), which a tag in the prefix would override, putting every key of a Redis Cluster in one slot.");
            }

            if (options.OperationTimeout <= TimeSpan.Zero || options.OperationTimeout > TimeSpan.FromSeconds(30))
            {
                failures.Add($"{SectionName}:OperationTimeout must be more than zero and at most 00:00:30.");
            }

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }

        private static bool TryParse(RedisOptions options)
        {
            try
            {
                return options.Parse().EndPoints.Count > 0;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
    }
}
