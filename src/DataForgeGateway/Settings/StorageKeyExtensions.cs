using DataForgeGateway.Primitives;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace DataForgeGateway.Settings;

/// <summary>Registers the storage keys once, for every feature that seals what it stores.</summary>
public static class StorageKeyExtensions
{
    public static IServiceCollection AddStorageKeys(this IServiceCollection services)
    {
        if (services.Any(s => s.ServiceType == typeof(StorageKeys)))
        {
            return services;
        }

        services.AddValidatedOptions<EncryptionOptions, EncryptionOptions.Validator>(EncryptionOptions.SectionName);
        services.TryAddSingleton<StorageKeys>();
        return services;
    }
}
