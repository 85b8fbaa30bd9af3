namespace DataForgeGateway.Redis;

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

    /// <summary>Whether a shared Redis is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(ConnectionString);
}
