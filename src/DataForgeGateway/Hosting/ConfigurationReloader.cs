using System.Security.Cryptography;

namespace DataForgeGateway.Hosting;

/// <summary>
/// Looks at the configuration's files every <c>Gateway:SecretsPollInterval</c> (5 s): appsettings, the callers file and the mounted
/// secrets folder, read through symlinks (the kubelet swaps a <c>..data</c> link, which no file watcher sees). A change
/// is read once it has held still for one more look (at most a second later; files written in place one by one are
/// not read half-written), and checked whole, against the rules of start-up (<see cref="ConfigurationChecks"/>): valid, it is applied;
/// not, it is refused, logged once with the keys that are wrong, counted, shown in readiness, and the last good
/// configuration stays in force. Nothing here can end the process: every failure is caught at this edge.
/// </summary>
internal sealed partial class ConfigurationReloader(
    AcceptedConfiguration gate,
    ConfigurationReloads reloads,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<ConfigurationReloader> logger) : BackgroundService
{
    public const string PollIntervalKey = "Gateway:SecretsPollInterval";

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan MaxSettle = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seen = Fingerprint();
        var changing = false;
        string? moving = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(changing ? Settle() : Interval(), clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            var now = Fingerprint();
            reloads.Looked();
            if (now is not null && now == seen)
            {
                changing = false;
                continue;
            }

            // A change is read once it holds still for a look: files written in place, one after another, or caught
            // mid-swap (unreadable) are seen half-done, and a half-done folder is not what the operator meant.
            if (!changing || now != moving)
            {
                (changing, moving) = (true, now);
                continue;
            }

            (changing, seen) = (false, now);
            Offer();
        }
    }

    /// <summary>Reads the sources again and applies what they say if it passes every check; never throws.</summary>
    internal void Offer()
    {
        try
        {
            Dictionary<string, string?> values;
            try
            {
                gate.Proposed.Reload();
                values = gate.Snapshot();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Refuse([$"The configuration could not be read: {Describe(e)}"]);
                return;
            }

            var callersFile = services.GetService<Callers.CallersFile>();
            if (gate.IsCurrent(values) && callersFile?.Changed(values.GetValueOrDefault(Callers.CallersFile.PathKey)) != true)
            {
                reloads.BackToCurrent();
                return;
            }

            var failures = ConfigurationChecks.Check(AcceptedConfiguration.Candidate(values), services);
            if (failures.Count > 0)
            {
                Refuse(failures);
                return;
            }

            reloads.Applied();
            try
            {
                callersFile?.AcceptProposed();
                gate.Accept(values);
                Log.Applied(logger);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Applied, but someone listening for the change failed on it: said, and the replica goes on.
                Log.ListenerFailed(logger, e.GetType().Name);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.CheckFailed(logger, e.GetType().Name);
        }
    }

    private void Refuse(List<string> failures)
    {
        if (reloads.Refused(failures))
        {
            Log.Refused(logger, failures.Count, string.Join(" ", failures));
        }
    }

    /// <summary>What went wrong reading a source: the file and the reason, never what the file held.</summary>
    private static string Describe(Exception e) => e switch
    {
        InvalidDataException or IOException or UnauthorizedAccessException => e.Message,
        _ => e.GetType().Name,
    };

    /// <summary>How soon a change is looked at again to see it hold still: a look, at most a second.</summary>
    private TimeSpan Settle() => Interval() < MaxSettle ? Interval() : MaxSettle;

    private TimeSpan Interval() =>
        gate.TryGet(PollIntervalKey, out var text) && TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var configured) && configured > TimeSpan.Zero
            ? configured
            : DefaultInterval;

    /// <summary>A hash of what every configuration file holds (through symlinks); null when a file could not be read.</summary>
    private string? Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            foreach (var file in gate.Files)
            {
                Append(hash, file);
            }

            if (gate.TryGet(Callers.CallersFile.PathKey, out var callers) && !string.IsNullOrEmpty(callers))
            {
                Append(hash, Path.GetFullPath(callers));
            }

            if (gate.TryGet(ConfigurationExtensions.SecretsDirectoryKey, out var directory) && !string.IsNullOrEmpty(directory) && Directory.Exists(directory))
            {
                foreach (var file in Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).StartsWith("..", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                {
                    Append(hash, file);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static void Append(IncrementalHash hash, string file)
    {
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(file + "\0"));
        if (File.Exists(file))
        {
            hash.AppendData(File.ReadAllBytes(file));
        }

        hash.AppendData("\0"u8);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Configuration change checked and applied")]
        public static partial void Applied(ILogger logger);

        [LoggerMessage(2, LogLevel.Error, "Configuration change refused ({Count} wrong), the last good configuration stays in force: {Failures}")]
        public static partial void Refused(ILogger logger, int count, string failures);

        [LoggerMessage(3, LogLevel.Error, "Configuration change applied, but a component failed on it ({Error})")]
        public static partial void ListenerFailed(ILogger logger, string error);

        [LoggerMessage(4, LogLevel.Error, "Configuration change could not be checked ({Error}); the last good configuration stays in force")]
        public static partial void CheckFailed(ILogger logger, string error);
    }
}
