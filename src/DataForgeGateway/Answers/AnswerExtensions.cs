using DataForgeGateway.Settings;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataForgeGateway.Answers;

/// <summary>Registers what kept and shared answers have in common, once for both.</summary>
public static class AnswerExtensions
{
    public static IServiceCollection AddAnswerProtection(this IServiceCollection services)
    {
        services.AddStorageKeys();
        services.TryAddSingleton<AnswerProtection>();
        return services;
    }
}
