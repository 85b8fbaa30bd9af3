using DataForge.Sandbox;

// A stand-in for an Auth0 tenant and the DataForge External API, for tests, the quick start and the benchmark.
await SandboxApplication.Build(args).RunAsync();
