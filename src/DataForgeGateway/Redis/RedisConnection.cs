using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataForgeGateway.Redis;

/// <summary>
/// The one Redis connection of the process, shared by the token cache and health checks. It connects in the
/// background and reconnects by itself: a Redis that is down at start-up does not stop the gateway.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable
{
    private readonly IOptions<RedisOptions> _options;
    private readonly Lazy<Task<IConnectionMultiplexer>> _connection;
    private string? _endpoints;

    public RedisConnection(IOptions<RedisOptions> options, RedisMetrics metrics)
    {
        _options = options;
        _connection = new(() => ConnectAsync(options.Value));
        metrics.Connected = () => IsConnected;
    }

    public Task<IConnectionMultiplexer> GetAsync() => _connection.Value;

    /// <summary>Where Redis is, as the logs name it: the endpoints, never the password.</summary>
    public string Endpoints => _endpoints ??= EndpointsOf(_options.Value);

    /// <summary>Whether the connection is up right now (no I/O): what the connectivity gauge reports.</summary>
    public bool IsConnected => _connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully && _connection.Value.Result.IsConnected;

    /// <summary>A Redis failure as a log line gives it: the endpoint and the cause, with any password cut out.</summary>
    public string Describe(Exception e)
    {
        var message = e.Message;
        if (Password(_options.Value) is { Length: > 0 } password)
        {
            message = message.Replace(password, "***", StringComparison.Ordinal);
        }

        return $"{e.GetType().Name} at {Endpoints}: {message}";
    }

    /// <summary>The endpoints as logs name them; a connection string that does not parse is reported by validation instead.</summary>
    private static string EndpointsOf(RedisOptions options)
    {
        try
        {
            return options.Enabled ? string.Join(",", options.Parse().EndPoints.Select(Format)) : "";
        }
        catch (ArgumentException)
        {
            return "(invalid connection string)";
        }
    }

    private static string? Password(RedisOptions options)
    {
        try
        {
            return options.Enabled ? options.Parse().Password : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static string Format(System.Net.EndPoint endPoint) => endPoint switch
    {
        System.Net.DnsEndPoint dns => $"{dns.Host}:{dns.Port}",
        _ => endPoint.ToString() ?? "",
    };

    /// <summary>
    /// Whether an exception from a Redis call means Redis failed (down, stalled, dropped), so the replica goes on
    /// without it. Besides its own exceptions and timeouts, StackExchange.Redis lets through the pipe's
    /// <see cref="InvalidOperationException"/> when a connection is torn down while a reply is being read (seen
    /// with a stalled server after a run of timeouts).
    /// </summary>
    public static bool IsFailure(Exception e) =>
        e is RedisException or TimeoutException or ObjectDisposedException
        || e is InvalidOperationException { Source: "System.IO.Pipelines" or "Pipelines.Sockets.Unofficial" or "StackExchange.Redis" };

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            await (await _connection.Value).DisposeAsync();
        }
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(RedisOptions options)
    {
        var configuration = options.Parse();
        configuration.AbortOnConnectFail = false;

        // While Redis is down, fail at once rather than queue: the caller is served from the in-process cache.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "dataforge-gateway";
        if (!options.ConnectionString.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        }

        return await ConnectionMultiplexer.ConnectAsync(configuration);
    }
}
