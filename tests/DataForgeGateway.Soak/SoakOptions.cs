using System.Globalization;

namespace DataForgeGateway.Soak;

/// <summary><c>--minutes N [--replicas R] [--seed S] [--output DIR] [--configuration C]</c>.</summary>
internal sealed class SoakOptions
{
    public double Minutes { get; private set; } = 5;

    public int Replicas { get; private set; } = 3;

    public int Seed { get; private set; } = Random.Shared.Next(1, 1_000_000);

    public string OutputDirectory { get; private set; } = "";

    public string Configuration { get; private set; } = "Release";

    public string RepositoryRoot { get; private set; } = "";

    /// <summary>Short token lifetimes, so that the run sees scheduled refreshes too.</summary>
    public int TokenLifetimeSeconds { get; } = 120;

    public TimeSpan RetryInitialDelay { get; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan RetryMaxDelay { get; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// How soon after the last fault of an episode clears every replica must answer 200 again: the longest token
    /// back-off a fault can leave behind (RetryMaxDelay), two initial back-offs, and a second for the probe itself.
    /// </summary>
    public TimeSpan RecoveryBound => RetryMaxDelay + (2 * RetryInitialDelay) + TimeSpan.FromSeconds(1);

    /// <summary>The factor by which a replica's resident memory may grow from after warm-up to the end.</summary>
    public double MemoryGrowthLimit { get; } = 2.0;

    public string Bin(string project) => Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0");

    public static SoakOptions Parse(string[] args)
    {
        var options = new SoakOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--minutes": options.Minutes = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--replicas": options.Replicas = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--seed": options.Seed = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--output": options.OutputDirectory = Path.GetFullPath(value); break;
                case "--configuration": options.Configuration = value; break;
                default: throw new ArgumentException($"Unknown option {args[i]}: --minutes N [--replicas R] [--seed S] [--output DIR] [--configuration C]");
            }

            i++;
        }

        if (options.Minutes <= 0 || options.Replicas < 1)
        {
            throw new ArgumentException("--minutes must be more than 0 and --replicas at least 1.");
        }

        options.RepositoryRoot = FindRepositoryRoot();
        if (options.OutputDirectory.Length == 0)
        {
            options.OutputDirectory = Path.Combine(Path.GetTempPath(), $"dataforge-soak-{DateTime.UtcNow:yyyyMMdd-HHmmss}");
        }

        Directory.CreateDirectory(options.OutputDirectory);
        return options;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DataForgeGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Run the soak from within the repository (scripts/soak.sh).");
    }
}
