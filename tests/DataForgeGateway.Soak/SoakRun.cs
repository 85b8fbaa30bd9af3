using System.Diagnostics;
using System.Net;

namespace DataForgeGateway.Soak;

/// <summary>
/// The soak itself: a warm-up, then episodes of one fault or two overlapping ones, each followed by a check that
/// every replica answers 200 again within the recovery bound; a rolling restart, a key rotation and a client-secret
/// rotation at least once each; and at the end the checks that need the whole run (audit, Auth0, memory, secrets).
/// </summary>
internal sealed class SoakRun(SoakOptions options, Deployment deployment, Observations observations, FaultSchedule faults, LoadGenerator load)
{
    private readonly Random _random = new(options.Seed);
    private readonly List<(string Episode, double Seconds)> _recoveries = [];
    private readonly Dictionary<ManagedProcess, List<(double Age, long Bytes)>> _memory = [];
    private int _tokenNeeds;

    public async Task<Report> RunAsync()
    {
        var clock = Stopwatch.StartNew();
        using var stopLoad = new CancellationTokenSource();
        var loading = load.RunAsync(workers: 6, stopLoad.Token);
        using var stopSampling = new CancellationTokenSource();
        var sampling = SampleMemoryAsync(stopSampling.Token);
        var watching = WatchForExitsAsync(stopSampling.Token);

        await Task.Delay(TimeSpan.FromSeconds(15));
        await RecoverAsync("warm-up");

        // The mandatory events go in at random places of the first episodes; the rest is drawn at random.
        var mandatory = new Queue<Func<Task>>(new Func<Task>[]
        {
            RollingRestartAsync, RotateKeysAsync, RotateClientSecretAsync, BadSecretSwapAsync, StartWhileAuth0IsDownAsync, SecretFixedBySwapAsync,
            RotateIssuerKeyAsync,
        }.OrderBy(_ => _random.Next()));
        var duration = TimeSpan.FromMinutes(options.Minutes);
        for (var episode = 0; clock.Elapsed < duration || mandatory.Count > 0; episode++)
        {
            if (mandatory.Count > 0 && (episode % 2 == 1 || clock.Elapsed > duration * 0.6))
            {
                await mandatory.Dequeue()();
            }
            else
            {
                await FaultEpisodeAsync();
            }

            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await stopLoad.CancelAsync();
        await loading;
        var (tokenRequests, tokensIssued) = await deployment.SandboxStatsAsync();
        await stopSampling.CancelAsync();
        await sampling;
        await watching;

        // Stopped as Kubernetes stops pods: each drains and writes its audit queue out before it exits.
        foreach (var replica in deployment.Replicas)
        {
            replica.InRotation = false;
            replica.Restarting = true;
            var process = replica.Process;
            if (!await process.StopAsync(TimeSpan.FromSeconds(20)) || process.ExitCode != 0)
            {
                observations.Violation($"{process.Name} did not exit cleanly on SIGTERM at the end (exit {process.ExitCode})");
            }
        }

        var lifetimes = (int)Math.Ceiling(clock.Elapsed.TotalSeconds / (options.TokenLifetimeSeconds * 0.75));
        var allowedTokens = 1 + lifetimes + _tokenNeeds + (faults.Revocations * 1);
        if (tokensIssued > allowedTokens)
        {
            observations.Violation($"Auth0 issued {tokensIssued} tokens; at most {allowedTokens} were needed ({lifetimes} lifetimes, {faults.Revocations} revocations, {_tokenNeeds} more for faults that kept replicas from sharing)");
        }

        var audit = AuditCheck.Run(deployment, observations);
        SecretScan.Run(deployment, observations);
        return new Report(options, clock.Elapsed, observations, faults.Log, _recoveries, audit, (tokenRequests, tokensIssued, allowedTokens), MemoryChecks());
    }

    private async Task FaultEpisodeAsync()
    {
        var first = Fault.All[_random.Next(Fault.All.Count)];
        Fault? second = null;
        if (_random.NextDouble() < 0.6)
        {
            // Auth0's faults matter only when a token is needed: most often they overlap a revocation.
            var others = Fault.All.Where(f => f.Group != first.Group).ToList();
            second = first.Group == "auth0" && _random.NextDouble() < 0.7
                ? others.First(f => f.Group == "revocation")
                : others[_random.Next(others.Count)];
        }

        var name = second is null ? first.Name : $"{first.Name} + {second.Name}";
        var redisImpaired = first.Group == "redis" || second?.Group == "redis";
        var revocationsBefore = faults.Revocations;
        await faults.StartAsync(first, deployment);
        var firstHold = TimeSpan.FromSeconds(4 + _random.Next(5));
        var started = Stopwatch.StartNew();
        if (second is not null)
        {
            await Task.Delay(TimeSpan.FromSeconds(1 + _random.Next(3)));
            await faults.StartAsync(second, deployment);
        }

        await DelayUntilAsync(started, firstHold);
        await faults.ClearAsync(first, deployment);
        if (second is not null)
        {
            await Task.Delay(TimeSpan.FromSeconds(1 + _random.Next(3)));
            await faults.ClearAsync(second, deployment);
        }

        // While Redis is out, replicas cannot share a token: each may need its own, once per revocation and once
        // for a restart; with Redis, one token serves them all.
        if (redisImpaired)
        {
            _tokenNeeds += ((faults.Revocations - revocationsBefore) * (options.Replicas - 1)) + options.Replicas;
        }

        await RecoverAsync(name);
    }

    private Task RollingRestartAsync() => faults.EventAsync("rolling-restart", async () =>
    {
        foreach (var replica in deployment.Replicas)
        {
            await faults.RestartAsync(deployment, replica);
        }

        await RecoverAsync("rolling-restart");
    });

    /// <summary>A new key per caller in a secret file of its own, used once every replica takes it; then the old one removed.</summary>
    private Task RotateKeysAsync() => faults.EventAsync("key-rotation", async () =>
    {
        var old = Deployment.LoadCallers.ToDictionary(caller => caller, deployment.KeyOf);
        var fresh = Deployment.LoadCallers.ToDictionary(caller => caller, deployment.AddKey);
        await UntilEveryReplicaAsync("taking the new keys", fresh, status => status is not (null or HttpStatusCode.Unauthorized));
        foreach (var (caller, key) in fresh)
        {
            deployment.RetireOldKey(caller, key);
        }

        await UntilEveryReplicaAsync("refusing the old keys", old, status => status == HttpStatusCode.Unauthorized);
        await RecoverAsync("key-rotation");
    });

    /// <summary>
    /// The cluster's issuer signs with a new key and the workload gets a token signed with it at once: every replica
    /// must take it (the unknown key makes each fetch the issuer's keys), with no workload request refused meanwhile.
    /// </summary>
    private Task RotateIssuerKeyAsync() => faults.EventAsync("issuer-key-rotation", async () =>
    {
        await deployment.RotateIssuerKeyAsync();
        var token = await deployment.WorkloadTokenAsync(fresh: true);
        foreach (var replica in deployment.Replicas.Where(r => r.InRotation))
        {
            var status = await load.SendAsync(replica, Deployment.WorkloadCaller, Operation.Sources, "issuer-key-rotation", key: token);
            if (status != HttpStatusCode.OK)
            {
                observations.Violation($"{replica.Process.Name} answered {(int?)status} to a token signed with the issuer's new key");
            }
        }

        await RecoverAsync("issuer-key-rotation");
    });

    /// <summary>The client secret rotated in Auth0 and in the mounted file, then every token revoked so that a new one must be fetched with it.</summary>
    private Task RotateClientSecretAsync() => faults.EventAsync("client-secret-rotation", async () =>
    {
        await deployment.RotateClientSecretAsync();
        await Task.Delay(TimeSpan.FromSeconds(2)); // the file watcher's reload
        await deployment.RevokeTokensAsync();
        faults.CountRevocation();
        await RecoverAsync("client-secret-rotation");
    });

    /// <summary>
    /// Bad values written into the Secret every replica mounts: each must refuse them (readiness says so), stay up and
    /// go on serving several looks later; then the values are taken out again.
    /// </summary>
    private Task BadSecretSwapAsync() => faults.EventAsync("bad-secret-swap", async () =>
    {
        deployment.WriteBadSecrets();
        await UntilEveryReadinessAsync("refusing the bad secret", (status, body) => status == HttpStatusCode.OK && body.Contains("\"failures\"", StringComparison.Ordinal));
        await Task.Delay(TimeSpan.FromSeconds(4)); // four more looks at the folder (Gateway:SecretsPollInterval 1 s)
        await RecoverAsync("bad-secret-swap");
        deployment.RemoveBadSecrets();
        await UntilEveryReadinessAsync("back on the whole secret", (status, body) => status == HttpStatusCode.OK && !body.Contains("\"failures\"", StringComparison.Ordinal));
    });

    /// <summary>A replica restarted while Auth0 answers nothing: Ready only once it holds a token (its peers', from Redis), and then it serves.</summary>
    private Task StartWhileAuth0IsDownAsync() => faults.EventAsync("replica-start-auth0-down", async () =>
    {
        var auth0Down = Fault.All.Single(f => f.Name == "auth0-down");
        await faults.StartAsync(auth0Down, deployment);
        var replica = deployment.Replicas[faults.NextReplica()];
        replica.InRotation = false;
        replica.Restarting = true;
        if (!await replica.Process.StopAsync(TimeSpan.FromSeconds(20)))
        {
            observations.Violation($"{replica.Process.Name} did not stop within 20 s of SIGTERM");
        }

        await deployment.StartReplicaAsync(replica, waitUntilReady: false);
        replica.Restarting = false;

        // For five seconds with Auth0 down: whenever it says Ready, it must serve (a peer's token in Redis makes it so).
        var watched = Stopwatch.StartNew();
        while (watched.Elapsed < TimeSpan.FromSeconds(5))
        {
            try
            {
                using var ready = await deployment.Http.GetAsync(new Uri($"http://127.0.0.1:{replica.ManagementPort}/health/ready"));
                if (ready.StatusCode == HttpStatusCode.OK)
                {
                    var status = await load.SendAsync(replica, Deployment.ProbeCaller, Operation.Sources, "a Ready replica serves (Auth0 down)");
                    if (status != HttpStatusCode.OK)
                    {
                        observations.Violation($"{replica.Process.Name} was Ready with Auth0 down but answered {(int?)status}");
                        break;
                    }
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        await faults.ClearAsync(auth0Down, deployment);
        await UntilEveryReadinessAsync("Ready once Auth0 answers", (status, _) => status == HttpStatusCode.OK);
        replica.InRotation = true;
        await RecoverAsync("replica-start-auth0-down");
    });

    /// <summary>
    /// A client secret Auth0 refuses written into the Secret and every token revoked: no replica can serve, and none is
    /// Ready. The right secret written back: every replica Ready again within the recovery bound (its back-off reset).
    /// </summary>
    private Task SecretFixedBySwapAsync() => faults.EventAsync("secret-fixed-by-swap", async () =>
    {
        deployment.WriteClientSecretFile(right: false);
        await Task.Delay(TimeSpan.FromSeconds(2)); // two looks at the folder
        await deployment.RevokeTokensAsync();
        faults.CountRevocation();
        await UntilEveryReadinessAsync("not Ready on a refused secret", (status, _) => status == HttpStatusCode.ServiceUnavailable, poke: true);
        await Task.Delay(TimeSpan.FromSeconds(5)); // refused a few times: the back-off has grown
        deployment.WriteClientSecretFile(right: true);
        var clock = Stopwatch.StartNew();
        await UntilEveryReadinessAsync("Ready again after the fix", (status, _) => status == HttpStatusCode.OK);
        lock (_recoveries)
        {
            _recoveries.Add(("secret-fixed-by-swap (to Ready)", clock.Elapsed.TotalSeconds));
        }

        if (clock.Elapsed > options.RecoveryBound)
        {
            observations.Violation($"replicas took {clock.Elapsed.TotalSeconds:F1} s to be Ready after the client secret was fixed (bound {options.RecoveryBound.TotalSeconds} s)");
        }

        await RecoverAsync("secret-fixed-by-swap");
    });

    /// <summary>Waits until every replica's readiness satisfies <paramref name="done"/> (15 s at most, else a violation); <paramref name="poke"/> sends a request first each time.</summary>
    private async Task UntilEveryReadinessAsync(string what, Func<HttpStatusCode, string, bool> done, bool poke = false)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var replica in deployment.Replicas)
        {
            while (true)
            {
                if (poke)
                {
                    await load.SendAsync(replica, Deployment.ProbeCaller, Operation.Sources, $"readiness ({what})");
                }

                using var response = await deployment.Http.GetAsync(new Uri($"http://127.0.0.1:{replica.ManagementPort}/health/ready"));
                if (done(response.StatusCode, await response.Content.ReadAsStringAsync()))
                {
                    break;
                }

                if (deadline.Elapsed > TimeSpan.FromSeconds(15))
                {
                    observations.Violation($"{replica.Process.Name} still not {what} after 15 s");
                    return;
                }

                await Task.Delay(100);
            }
        }
    }

    /// <summary>No replica exits unless the soak told it to.</summary>
    private async Task WatchForExitsAsync(CancellationToken stop)
    {
        var reported = new HashSet<ManagedProcess>();
        while (!stop.IsCancellationRequested)
        {
            foreach (var replica in deployment.Replicas)
            {
                var process = replica.Process;
                if (!replica.Restarting && process.HasExited && reported.Add(process))
                {
                    observations.Violation($"{process.Name} exited by itself (exit {process.ExitCode}); see {process.ErrorPath}");
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task UntilEveryReplicaAsync(string what, Dictionary<string, string> keys, Func<HttpStatusCode?, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        foreach (var replica in deployment.Replicas)
        {
            foreach (var (caller, key) in keys)
            {
                while (!done(await load.SendAsync(replica, caller, Operation.Sources, $"key rotation ({what})", key)))
                {
                    if (deadline.Elapsed > TimeSpan.FromSeconds(15))
                    {
                        observations.Violation($"{replica.Process.Name} still not {what} 15 s after the secret files changed");
                        return;
                    }

                    await Task.Delay(100);
                }
            }
        }
    }

    /// <summary>Every replica in rotation must answer 200 again within the recovery bound.</summary>
    private async Task RecoverAsync(string episode)
    {
        var bound = options.RecoveryBound;
        var times = await Task.WhenAll(deployment.Replicas.Where(r => r.InRotation).Select(async replica =>
        {
            var clock = Stopwatch.StartNew();
            HttpStatusCode? last = null;
            while (clock.Elapsed < bound + TimeSpan.FromSeconds(10))
            {
                last = await load.SendAsync(replica, Deployment.ProbeCaller, Operation.Sources, $"recovery after {episode}");
                if (last == HttpStatusCode.OK)
                {
                    break;
                }

                await Task.Delay(100);
            }

            if (clock.Elapsed > bound)
            {
                observations.Violation($"stuck: {replica.Process.Name} answered {(int?)last} for {clock.Elapsed.TotalSeconds:F1} s after '{episode}' cleared (bound {bound.TotalSeconds} s)");
            }

            return clock.Elapsed.TotalSeconds;
        }));
        lock (_recoveries)
        {
            _recoveries.Add((episode, times.DefaultIfEmpty(0).Max()));
        }
    }

    private async Task SampleMemoryAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            foreach (var replica in deployment.Replicas)
            {
                var process = replica.Process;
                if (process.ResidentBytes() is { } bytes)
                {
                    if (!_memory.TryGetValue(process, out var samples))
                    {
                        _memory[process] = samples = [];
                    }

                    samples.Add(((DateTime.UtcNow - process.StartedAt).TotalSeconds, bytes));
                }
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(2), stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>RSS after warm-up (20 s into a process's life) against its last sample, for processes that lived 20 s more.</summary>
    private List<MemoryCheck> MemoryChecks()
    {
        var checks = new List<MemoryCheck>();
        foreach (var (process, samples) in _memory)
        {
            var baseline = samples.FirstOrDefault(s => s.Age >= 20);
            var last = samples[^1];
            if (baseline.Bytes == 0 || last.Age < baseline.Age + 20)
            {
                continue;
            }

            var ratio = (double)last.Bytes / baseline.Bytes;
            checks.Add(new MemoryCheck(process.Name, baseline.Bytes / 1048576.0, last.Bytes / 1048576.0, last.Age, ratio));
            if (ratio > options.MemoryGrowthLimit)
            {
                observations.Violation($"{process.Name}: RSS grew {ratio:F2}x from {baseline.Bytes / 1048576} MiB after warm-up to {last.Bytes / 1048576} MiB");
            }
        }

        return checks;
    }

    private static async Task DelayUntilAsync(Stopwatch started, TimeSpan until)
    {
        if (until > started.Elapsed)
        {
            await Task.Delay(until - started.Elapsed);
        }
    }
}

internal sealed record MemoryCheck(string Process, double BaselineMiB, double FinalMiB, double AgeSeconds, double Ratio);
