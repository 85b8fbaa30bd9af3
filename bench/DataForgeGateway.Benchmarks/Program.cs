using BenchmarkDotNet.Running;

// The per-request pieces of the gateway, with the memory diagnoser:
//   dotnet run -c Release --project bench/DataForgeGateway.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(DataForgeGateway.Benchmarks.HotPathBenchmarks).Assembly).Run(args);
