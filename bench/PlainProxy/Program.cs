using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Transforms;

// The benchmark's floor: a plain YARP pass-through with the gateway's Kestrel defaults and nothing else, except
// the one header every DataForge request needs (a fixed bearer token, from BENCH_TOKEN).
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddReverseProxy()
    .LoadFromMemory(
        [new RouteConfig { RouteId = "all", ClusterId = "dataforge", Match = new RouteMatch { Path = "/{**rest}" } }],
        [new ClusterConfig
        {
            ClusterId = "dataforge",
            Destinations = new Dictionary<string, DestinationConfig> { ["sandbox"] = new() { Address = builder.Configuration["Upstream"]! } },
        }])
    .AddTransforms(context => context.AddRequestHeader("Authorization", $"Bearer {Environment.GetEnvironmentVariable("BENCH_TOKEN")}", append: false));

var app = builder.Build();
app.MapReverseProxy();
app.Run();
