namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>
/// A folder of secret files changed in place, one file at a time (an operator's editor, a sidecar that writes files):
/// a changed file is overwritten, a removed one deleted, each a step of its own that a reload may catch.
/// </summary>
public sealed class PlainSecretFolder : ISecretFolder
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("dfgw-plain-secret-");

    public PlainSecretFolder(IReadOnlyDictionary<string, string> files) => Update(files);

    public string Path => _root.FullName;

    public void Update(IReadOnlyDictionary<string, string> files)
    {
        foreach (var (name, content) in files)
        {
            var file = System.IO.Path.Combine(Path, name);
            if (!File.Exists(file) || File.ReadAllText(file) != content)
            {
                File.WriteAllText(file, content);
            }
        }

        foreach (var stale in Directory.EnumerateFiles(Path).Where(file => !files.ContainsKey(System.IO.Path.GetFileName(file))))
        {
            File.Delete(stale);
        }
    }

    public void Dispose() => _root.Delete(recursive: true);
}

/// <summary>A mounted folder of secret files, one setting per file, that a test changes while gateways read it.</summary>
public interface ISecretFolder : IDisposable
{
    string Path { get; }

    void Update(IReadOnlyDictionary<string, string> files);
}
