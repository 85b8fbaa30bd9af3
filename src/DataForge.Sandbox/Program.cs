namespace DataForge.Sandbox;

/// <summary>A stand-in for an Auth0 tenant and the DataForge External API, for tests, the quick start and the benchmark.</summary>
public static class Program
{
    public static Task Main(string[] args) => SandboxApplication.Build(args).RunAsync();
}
