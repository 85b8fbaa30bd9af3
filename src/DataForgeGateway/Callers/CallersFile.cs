using System.IO.Hashing;

namespace DataForgeGateway.Callers;

/// <summary>
/// <c>Gateway:CallersFile</c>: callers in a JSON file of their own, an object of caller names to the settings a caller
/// has under <c>Gateway:Callers</c> (<c>{ "billing-svc": { "Keys": [ { "Sha256": "..." } ], "ProjectIds": [ 1 ] } }</c>).
/// Read in one pass straight into the callers' options: 100,000 callers as configuration are a million keys, which the
/// configuration's providers and binder take seconds to go through at every start-up and reload; as a file, a fraction
/// of one. Checked with the rest of the configuration (a caller in both places, or a wrong value, refuses the whole),
/// looked at for changes with the other files, and swapped only with the configuration it was checked with.
/// </summary>
internal sealed class CallersFile
{
    public const string PathKey = "Gateway:CallersFile";

    private CallersFileContent? _proposed;
    private volatile CallersFileContent? _accepted;

    /// <summary>What the callers' options are built from: the file as it read when the configuration in force was checked.</summary>
    public CallersFileContent? Accepted => _accepted;

    /// <summary>
    /// The file <paramref name="configuration"/> names, read now for a check of that configuration; the next
    /// <see cref="AcceptProposed"/> makes it the one in force. Read once per content: the same bytes are not parsed twice.
    /// </summary>
    public CallersFileContent Propose(IConfiguration configuration) => _proposed = Read(configuration[PathKey]);

    /// <summary>The content read by the last check: called when the configuration that check passed is accepted.</summary>
    public void AcceptProposed() => _accepted = _proposed;

    /// <summary>Whether the file <paramref name="path"/> now holds something other than what is in force.</summary>
    public bool Changed(string? path) => !ReferenceEquals(Read(path), _accepted ?? CallersFileContent.None);

    private CallersFileContent Read(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return CallersFileContent.None;
        }

        var full = Path.GetFullPath(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(full);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return CallersFileContent.Failed(full, $"{PathKey} names a file that does not exist.");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return CallersFileContent.Failed(full, $"{PathKey} could not be read: {e.Message}");
        }

        var hash = XxHash128.HashToUInt128(bytes);
        foreach (var known in (ReadOnlySpan<CallersFileContent?>)[_proposed, _accepted])
        {
            if (known is not null && known.Path == full && known.Hash == hash)
            {
                return known;
            }
        }

        return CallersFileFormat.Parse(full, hash, bytes);
    }
}

/// <summary>What a callers file held when it was read: its callers, or the lines saying why they could not be read.</summary>
internal sealed class CallersFileContent(string? path, UInt128 hash, Dictionary<string, CallerOptions> callers, List<string> failures)
{
    /// <summary>No callers file is configured.</summary>
    public static readonly CallersFileContent None = new(null, 0, new(StringComparer.OrdinalIgnoreCase), []);

    public string? Path => path;

    public UInt128 Hash => hash;

    /// <summary>The file's callers, by name (ignoring case, as configuration compares them), in the file's order.</summary>
    public IReadOnlyDictionary<string, CallerOptions> Callers => callers;

    /// <summary>Why the file cannot be used, one line each; empty when it can.</summary>
    public IReadOnlyList<string> Failures => failures;

    public static CallersFileContent Failed(string path, string failure) => new(path, 0, new(StringComparer.OrdinalIgnoreCase), [failure]);

    /// <summary>
    /// Adds the file's callers to those of the configuration; the failures when the file cannot be read or names a
    /// caller the configuration has too (a caller is configured in one place).
    /// </summary>
    public List<string> MergeInto(CallersOptions options)
    {
        if (failures.Count > 0)
        {
            return [.. failures];
        }

        var clashes = new List<string>();
        options.Callers.EnsureCapacity(options.Callers.Count + callers.Count);
        foreach (var (name, caller) in callers)
        {
            if (!options.Callers.TryAdd(name, caller))
            {
                clashes.Add($"{CallersFile.PathKey}: {name} is also configured under {CallersOptions.SectionName}:Callers: a caller is configured in one place.");
            }
            else
            {
                options.FromFile.Add(name);
            }
        }

        return clashes;
    }
}
