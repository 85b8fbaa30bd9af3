namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A folder laid out as the kubelet lays out a mounted Secret: the files live in a timestamped folder, <c>..data</c>
/// is a symlink to it, and each key is a symlink into <c>..data</c>. An update writes a new timestamped folder and
/// swaps <c>..data</c> to it atomically (a rename over the old link); the key symlinks never change.
/// </summary>
public sealed class KubernetesSecretVolume : ISecretFolder
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dfgw-k8s-secret-");
    private int _version;

    public KubernetesSecretVolume(IReadOnlyDictionary<string, string> files) => Update(files);

    public string Path => _root.FullName;

    /// <summary>Replaces the Secret's contents the way the kubelet does.</summary>
    public void Update(IReadOnlyDictionary<string, string> files)
    {
        var previous = new FileInfo(System.IO.Path.Combine(Path, "..data")).LinkTarget;
        var folder = System.IO.Path.Combine(Path, $"..2026_11_30_12_00_{_version++:D2}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        foreach (var (name, content) in files)
        {
            File.WriteAllText(System.IO.Path.Combine(folder, name), content);
        }

        var swap = System.IO.Path.Combine(Path, "..data_tmp");
        File.CreateSymbolicLink(swap, System.IO.Path.GetFileName(folder));
        // rename(2) over the old link, as the kubelet does (.NET's File.Move will not move a link to a folder).
        using (var rename = System.Diagnostics.Process.Start("mv", ["-Tf", swap, System.IO.Path.Combine(Path, "..data")]))
        {
            rename.WaitForExit();
        }

        foreach (var name in files.Keys)
        {
            var link = System.IO.Path.Combine(Path, name);
            if (!File.Exists(link) && new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, System.IO.Path.Combine("..data", name));
            }
        }

        foreach (var stale in Directory.EnumerateFileSystemEntries(Path).Where(entry => new FileInfo(entry).LinkTarget is { } target && target.StartsWith("..data/", StringComparison.Ordinal) && !files.ContainsKey(System.IO.Path.GetFileName(entry))))
        {
            File.Delete(stale);
        }

        if (previous is not null)
        {
            Directory.Delete(System.IO.Path.Combine(Path, previous), recursive: true);
        }
    }

    public void Dispose() => _root.Delete(recursive: true);
}
