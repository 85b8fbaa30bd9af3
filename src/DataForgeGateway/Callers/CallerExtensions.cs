using DataForgeGateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;

namespace DataForgeGateway.Callers;

/// <summary>Registers who may call the gateway: API keys checked against configured hashes.</summary>
public static class CallerExtensions
{
    public static IHostApplicationBuilder AddCallers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<CallersOptions, CallersOptions.Validator>(CallersOptions.SectionName);
        builder.Services.AddSingleton<CallerDirectory>();

        // Authentication brings data protection along; the gateway protects nothing with it (no cookies), so
        // keep its keys in memory rather than writing a key ring to disk (the root filesystem is read-only).
        builder.Services.AddDataProtection().UseEphemeralDataProtectionProvider();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicies.DataForgeCaller, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new DataForgeAccessRequirement()));
        builder.Services.AddSingleton<IAuthorizationHandler, DataForgeAccessHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ForbiddenProblemResultHandler>();
        return builder;
    }
}
