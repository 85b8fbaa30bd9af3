using Microsoft.Extensions.Options;
using DataForgeGateway.Primitives;

namespace DataForgeGateway.Callers;

/// <summary>Registers who may call the gateway: API keys checked against configured hashes.</summary>
public static class CallerExtensions
{
    public static IHostApplicationBuilder AddCallers(this IHostApplicationBuilder builder)
    {
        // As AddValidatedOptions does, with the options type spelled out: the callers are bound by the generated binder.
        builder.Services.AddSingleton<IValidateOptions<CallersOptions>, CallersOptions.Validator>();
        builder.Services.AddLiveOptions();
        // The configuration's callers, then the callers file's, as the configuration in force was checked with it.
        builder.Services.AddSingleton<CallersFile>();
        builder.Services.AddOptions<CallersOptions>().BindConfiguration(CallersOptions.SectionName)
            .Configure<CallersFile>((options, file) => file.Accepted?.MergeInto(options))
            .ValidateOnStart();
        builder.Services.AddSingleton<CallerDirectory>();
        builder.Services.AddSingleton<FailedAuthenticationLimiter>();
        builder.Services.AddFeatureMetrics<CallerMetrics>(CallerMetrics.MeterName);
        return builder;
    }

    /// <summary>The caller behind the request's API key becomes its user; a bad key is noted for the next step.</summary>
    public static IApplicationBuilder UseApiKeys(this IApplicationBuilder app) => app.UseMiddleware<ApiKeyMiddleware>();

    /// <summary>Or the caller behind the workload token in <c>Authorization: Bearer</c>, when no key was sent.</summary>
    public static IApplicationBuilder UseWorkloadIdentities(this IApplicationBuilder app) => app.UseMiddleware<WorkloadTokenMiddleware>();

    /// <summary>DataForge routes need a valid key (401) whose caller may use the environment and operation (403).</summary>
    public static IApplicationBuilder UseCallerPermissions(this IApplicationBuilder app) => app.UseMiddleware<CallerPermissionMiddleware>();

    /// <summary>Once the request's values are checked: 403 for a project or source not the caller's.</summary>
    public static IReverseProxyApplicationBuilder UseProjectAndSourcePermissions(this IReverseProxyApplicationBuilder proxy)
    {
        proxy.UseMiddleware<ResourcePermissionMiddleware>();
        return proxy;
    }
}
