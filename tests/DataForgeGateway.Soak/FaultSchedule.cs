using System.Collections.Concurrent;

namespace DataForgeGateway.Soak;

/// <summary>A fault the soak can inject: what it touches (two faults of one group never overlap), how to start and clear it.</summary>
internal sealed record Fault(string Name, string Group, Func<Deployment, FaultSchedule, Task> Start, Func<Deployment, FaultSchedule, Task> Clear)
{
    private static Fault Sandbox(string name, string group, Func<SandboxFaults, SandboxFaults> on, Func<SandboxFaults, SandboxFaults> off) =>
        new(name, group, (d, _) => d.ChangeSandboxAsync(on), (d, _) => d.ChangeSandboxAsync(off));

    public static readonly IReadOnlyList<Fault> All =
    [
        Sandbox("auth0-down", "auth0", f => f with { TokenStatus = 503 }, f => f with { TokenStatus = null }),
        Sandbox("auth0-slow", "auth0", f => f with { TokenDelayMs = 1500 }, f => f with { TokenDelayMs = null }),
        Sandbox("auth0-garbage", "auth0", f => f with { TokenStatus = 200 }, f => f with { TokenStatus = null }),
        Sandbox("auth0-429", "auth0", f => f with { TokenStatus = 429, TokenRetryAfterSeconds = 3 }, f => f with { TokenStatus = null, TokenRetryAfterSeconds = null }),
        new("dataforge-revokes-tokens", "revocation", (d, s) => s.StartRevokingAsync(d), (_, s) => s.StopRevokingAsync()),
        Sandbox("dataforge-500", "dataforge", f => f with { ApiStatus = 500 }, f => f with { ApiStatus = null }),
        Sandbox("dataforge-hang", "dataforge", f => f with { ApiDelayMs = 60_000 }, f => f with { ApiDelayMs = null }),
        Sandbox("dataforge-slow", "dataforge", f => f with { ApiDelayMs = 700 }, f => f with { ApiDelayMs = null }),
        Sandbox("dataforge-429", "dataforge", f => f with { ApiStatus = 429 }, f => f with { ApiStatus = null }),
        new("redis-killed", "redis", (d, _) => d.Redis.KillAsync(), (d, _) => d.StartRedisAsync()),
        new("redis-paused", "redis", (d, _) => d.Redis.SignalAsync("STOP"), (d, _) => d.Redis.SignalAsync("CONT")),
        new("replica-restart", "replica", (d, s) => s.RestartAsync(d, d.Replicas[s.NextReplica()]), (_, _) => Task.CompletedTask),
    ];
}

/// <summary>What was injected when, and what is active now (the load's checks read it).</summary>
internal sealed class FaultSchedule(Observations observations, SoakOptions options)
{
    private readonly ConcurrentDictionary<string, DateTime> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTime> _clearedAt = new(StringComparer.Ordinal);
    private readonly List<InjectedFault> _log = [];
    private CancellationTokenSource? _revoking;
    private Task _revocations = Task.CompletedTask;
    private int _revocationCount;
    private int _replica;

    public IReadOnlyList<InjectedFault> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    public int Revocations => Volatile.Read(ref _revocationCount);

    /// <summary>Whether the fault was active at any moment since <paramref name="since"/>.</summary>
    public bool ActiveSince(string name, DateTime since) =>
        _active.ContainsKey(name) || (_clearedAt.TryGetValue(name, out var cleared) && cleared >= since);

    public bool IsActive(string group) => _active.Keys.Any(name => Fault.All.Any(f => f.Name == name && f.Group == group));

    public async Task StartAsync(Fault fault, Deployment deployment)
    {
        _active[fault.Name] = DateTime.UtcNow;
        lock (_log)
        {
            _log.Add(new InjectedFault(fault.Name, DateTime.UtcNow, null));
        }

        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} fault: {fault.Name}");
        await fault.Start(deployment, this);
    }

    public async Task ClearAsync(Fault fault, Deployment deployment)
    {
        await fault.Clear(deployment, this);
        _clearedAt[fault.Name] = DateTime.UtcNow;
        _active.TryRemove(fault.Name, out _);
        lock (_log)
        {
            var index = _log.FindLastIndex(f => f.Name == fault.Name && f.ClearedAt is null);
            _log[index] = _log[index] with { ClearedAt = DateTime.UtcNow };
        }

        Console.WriteLine($"{DateTime.UtcNow:HH:mm:ss} cleared: {fault.Name}");
    }

    /// <summary>A one-off event (a rotation, a rolling restart), logged like a fault.</summary>
    public async Task EventAsync(string name, Func<Task> action)
    {
        var started = DateTime.UtcNow;
        Console.WriteLine($"{started:HH:mm:ss} event: {name}");
        await action();
        lock (_log)
        {
            _log.Add(new InjectedFault(name, started, DateTime.UtcNow));
        }
    }

    public int NextReplica() => Interlocked.Increment(ref _replica) % options.Replicas;

    /// <summary>DataForge refuses every token issued so far, at once and again every three seconds.</summary>
    public Task StartRevokingAsync(Deployment deployment)
    {
        _revoking = new CancellationTokenSource();
        var stop = _revoking.Token;
        _revocations = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await deployment.RevokeTokensAsync();
                Interlocked.Increment(ref _revocationCount);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(3), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopRevokingAsync()
    {
        await (_revoking?.CancelAsync() ?? Task.CompletedTask);
        await _revocations;
        _revoking?.Dispose();
        _revoking = null;
    }

    public void CountRevocation() => Interlocked.Increment(ref _revocationCount);

    /// <summary>
    /// A replica restarted as Kubernetes does it: out of the load balancer's rotation first, then SIGTERM (it drains
    /// what it has in flight), then started again and put back once ready.
    /// </summary>
    public async Task RestartAsync(Deployment deployment, Replica replica)
    {
        replica.InRotation = false;
        replica.Restarting = true;
        await Task.Delay(TimeSpan.FromSeconds(1)); // endpoints and the ingress stop sending to it
        var process = replica.Process;
        if (!await process.StopAsync(TimeSpan.FromSeconds(20)))
        {
            observations.Violation($"{process.Name} did not stop within 20 s of SIGTERM");
        }
        else if (process.ExitCode != 0)
        {
            observations.Violation($"{process.Name} exited with {process.ExitCode} after SIGTERM");
        }

        await deployment.StartReplicaAsync(replica);
        replica.Restarting = false;
    }
}

internal sealed record InjectedFault(string Name, DateTime StartedAt, DateTime? ClearedAt);
