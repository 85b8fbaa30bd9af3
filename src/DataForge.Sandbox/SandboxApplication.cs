using DataForge.Sandbox.Auth0;
using DataForge.Sandbox.DataForgeApi;
using DataForge.Sandbox.Workloads;

namespace DataForge.Sandbox;

/// <summary>Builds the sandbox: an Auth0 tenant's <c>/oauth/token</c>, DataForge's four <c>/external</c> routes, and a cluster's workload token issuer.</summary>
public static class SandboxApplication
{
    /// <summary>Builds the sandbox host; <paramref name="configure"/> lets a test replace services (a fake clock, say).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.SectionName);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<TokenIssuer>();
        builder.Services.AddSingleton<SandboxRecorder>();
        builder.Services.AddSingleton<SandboxSwitches>();
        builder.Services.AddSingleton<WorkloadIssuer>();
        builder.Services.AddSingleton<ClientAssertions>();
        configure?.Invoke(builder);

        var app = builder.Build();
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<SandboxOptions>>().Value.ClientPublicKeyFile is { Length: > 0 } publicKeys)
        {
            app.Services.GetRequiredService<ClientAssertions>().Register(File.ReadAllText(publicKeys));
        }

        app.Use(RecordExternalCalls);
        app.MapAuth0TokenEndpoint();
        app.MapDataForgeExternalApi();
        app.MapWorkloadIssuer();
        app.MapSandboxControl();
        return app;
    }

    private static Task RecordExternalCalls(HttpContext context, Func<Task> next)
    {
        if (!context.Request.Path.StartsWithSegments("/oauth") && !context.Request.Path.StartsWithSegments("/_sandbox")
            && !context.Request.Path.StartsWithSegments("/.well-known") && !context.Request.Path.StartsWithSegments("/openid"))
        {
            context.RequestServices.GetRequiredService<SandboxRecorder>().RecordArrival();
        }

        return next();
    }
}
