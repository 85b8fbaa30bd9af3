using DataForgeGateway.Primitives;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace DataForgeGateway.Redis;

/// <summary>
/// The one Redis connection of the process, shared by the token cache and health checks. It connects in the
/// background and reconnects by itself: a Redis that is down at start-up does not stop the gateway.
/// </summary>
internal sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly ILogger<RedisConnection> _logger;
    private readonly List<Lazy<Task<IConnectionMultiplexer>>> _retired = [];
    private volatile Lazy<Task<IConnectionMultiplexer>> _connection;
    private readonly IOptions<RedisOptions> _options;
    private string? _connectedWith;
    private About? _about;
    private int _generation;

    public RedisConnection(IOptions<RedisOptions> options, RedisMetrics metrics, ILogger<RedisConnection> logger, LiveOptions<RedisOptions>? live = null)
    {
        _logger = logger;
        _options = options;
        _connection = new(() => ConnectAsync(options.Value));
        metrics.Connected = () => string.IsNullOrEmpty(options.Value.ConnectionString) ? null : IsConnected;
        if (live is not null)
        {
            live.Changed += Reconnect;
        }
    }

    /// <summary>The shared connection; after a rotated connection string (a new password, say), the new one.</summary>
    public Task<IConnectionMultiplexer> GetAsync() => _connection.Value;

    /// <summary>Changes whenever a rotated connection string replaced the connection.</summary>
    public int Generation => Volatile.Read(ref _generation);

    /// <summary>Where Redis is, as the logs name it: the endpoints, never the password.</summary>
    public string Endpoints => AboutConnection.Endpoints;

    /// <summary>The connection string of the connection in use; read lazily, after start-up validation.</summary>
    private string ConnectedWith => _connectedWith ?? _options.Value.ConnectionString;

    /// <summary>Whether the connection is up right now (no I/O): what the connectivity gauge reports.</summary>
    public bool IsConnected
    {
        get
        {
            var connection = _connection;
            return connection.IsValueCreated && connection.Value.IsCompletedSuccessfully && connection.Value.Result.IsConnected;
        }
    }

    /// <summary>A Redis failure as a log line gives it: the endpoint and the cause, with any password cut out.</summary>
    public string Describe(Exception e)
    {
        var about = AboutConnection;
        var message = about.Password is { Length: > 0 } password ? e.Message.Replace(password, "***", StringComparison.Ordinal) : e.Message;
        return $"{e.GetType().Name} at {about.Endpoints}: {message}";
    }

    /// <summary>What logs say of the connection in use, from one reading of its connection string.</summary>
    private About AboutConnection
    {
        get
        {
            var connectedWith = ConnectedWith;
            var about = _about;
            return about is not null && about.ConnectionString == connectedWith ? about : _about = About.Of(connectedWith);
        }
    }

    /// <summary>The endpoints as logs name them, and the password to keep out of them.</summary>
    private sealed record About(string ConnectionString, string Endpoints, string? Password)
    {
        public static About Of(string connectionString)
        {
            var options = new RedisOptions { ConnectionString = connectionString };
            try
            {
                var parsed = options.Enabled ? options.Parse() : null;
                return new About(connectionString, parsed is null ? "" : string.Join(",", parsed.EndPoints.Select(Format)), parsed?.Password);
            }
            catch (ArgumentException)
            {
                // A connection string that does not parse is reported by validation, in one line.
                return new About(connectionString, "(invalid connection string)", null);
            }
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
    /// with a stalled server after a run of timeouts), and reports a stalled or dropped connection as a cancelled
    /// task: a cancellation is a Redis failure unless <paramref name="caller"/>, the token the call was given, was
    /// cancelled (then the request gave up, and Redis is not to blame).
    /// </summary>
    public static bool IsFailure(Exception e, CancellationToken caller = default) =>
        e is RedisException or TimeoutException or ObjectDisposedException
        || e is InvalidOperationException { Source: "System.IO.Pipelines" or "Pipelines.Sockets.Unofficial" or "StackExchange.Redis" }
        || (e is OperationCanceledException && !caller.IsCancellationRequested);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _retired.Append(_connection).Where(c => c.IsValueCreated))
        {
            try
            {
                await (await connection.Value).DisposeAsync();
            }
            catch (Exception e) when (IsFailure(e))
            {
                // A connection that never came up has nothing to close.
            }
        }
    }

    /// <summary>
    /// A rotated connection string (a mounted secret's new password) takes effect without a restart: the next
    /// command uses a new connection. The old one is kept open until the process ends, for commands in flight.
    /// </summary>
    private void Reconnect(RedisOptions options)
    {
        lock (_retired)
        {
            if (options.ConnectionString == ConnectedWith)
            {
                return;
            }

            _retired.Add(_connection);
            _connectedWith = options.ConnectionString;
            _connection = new(() => ConnectAsync(options));
            Interlocked.Increment(ref _generation);
        }

        Log.Reconnecting(_logger, Endpoints);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Redis connection string changed: connecting anew to {Endpoints}")]
        public static partial void Reconnecting(ILogger logger, string endpoints);
    }

    private static async Task<IConnectionMultiplexer> ConnectAsync(RedisOptions options)
    {
        var configuration = options.Parse();
        configuration.AbortOnConnectFail = false;

        // While Redis is down, fail at once rather than queue: the caller is served from the in-process cache.
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        configuration.ClientName ??= "dataforge-gateway";

        // Redis's answers are completed on .NET's thread pool, not on the client's own dedicated threads: on a
        // busy replica those spun waiting for work and ran requests' continuations besides, and a CPU profile of
        // the gateway with Redis found most of its time under them (bench/README.md).
        configuration.SocketManager ??= SocketManager.ThreadPool;
        if (!options.ConnectionString.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.AsyncTimeout = (int)options.OperationTimeout.TotalMilliseconds;
        }

        return await ConnectionMultiplexer.ConnectAsync(configuration);
    }
}
