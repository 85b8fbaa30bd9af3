using System.Security.Cryptography;

namespace DataForgeGateway.Hosting;

/// <summary>
/// Re-reads configuration when the mounted secret files change the way Kubernetes changes them: the kubelet writes
/// a new timestamped folder and swaps the <c>..data</c> symlink to it, and the files are symlinks into <c>..data</c>.
/// A file watcher sees none of that, so the folder is looked at every <c>Gateway:SecretsPollInterval</c> (5 s): the
/// names and contents of its files, read through the links. A change reloads configuration; a change that fails
/// validation is logged and the previous settings stay in force (<see cref="Primitives.LiveOptions{T}"/>).
/// </summary>
internal sealed partial class SecretsDirectoryWatcher(IConfiguration configuration, TimeProvider clock, ILogger<SecretsDirectoryWatcher> logger) : BackgroundService
{
    public const string PollIntervalKey = "Gateway:SecretsPollInterval";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (configuration[ConfigurationExtensions.SecretsDirectoryKey] is not { Length: > 0 } directory || configuration is not IConfigurationRoot root)
        {
            return;
        }

        var interval = TimeSpan.TryParse(configuration[PollIntervalKey], System.Globalization.CultureInfo.InvariantCulture, out var configured) && configured > TimeSpan.Zero
            ? configured
            : TimeSpan.FromSeconds(5);
        var seen = Fingerprint(directory);
        using var timer = new PeriodicTimer(interval, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Fingerprint(directory);
                if (now != seen)
                {
                    seen = now;
                    Log.Changed(logger, directory);
                    root.Reload();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>A hash of every file's name and content (through symlinks); the folder's own bookkeeping entries (<c>..*</c>) aside.</summary>
    internal static string Fingerprint(string directory)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        try
        {
            foreach (var file in Directory.EnumerateFiles(directory).Where(f => !Path.GetFileName(f).StartsWith("..", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetFileName(file) + "\0"));
                hash.AppendData(File.ReadAllBytes(file));
                hash.AppendData("\0"u8);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Caught mid-swap: the next look sees the folder whole.
            return "";
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Mounted secrets in {Directory} changed: configuration reloaded")]
        public static partial void Changed(ILogger logger, string directory);
    }
}
