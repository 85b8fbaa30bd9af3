using DataForgeGateway.Primitives;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataForgeGateway.WorkloadIdentity;

/// <summary>Registers the issuers of workload tokens and the validation of their JWTs.</summary>
public static class WorkloadIdentityExtensions
{
    internal const string HttpClientName = "workload-issuers";

    public static IHostApplicationBuilder AddWorkloadIdentity(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<WorkloadIdentityOptions, WorkloadIdentityOptions.Validator>(WorkloadIdentityOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(HttpClientName, client =>
        {
            client.Timeout = TimeSpan.FromSeconds(5);
            client.MaxResponseContentBufferSize = 1024 * 1024;
        });
        services.AddSingleton<WorkloadTokenValidator>();
        services.AddHostedService<IssuerKeyRefreshService>();
        return builder;
    }
}
