using Microsoft.AspNetCore.Authentication;

namespace DataForgeGateway.Callers;

/// <summary>Registers who may call the gateway: API keys checked against configured hashes.</summary>
public static class CallerExtensions
{
    public static IHostApplicationBuilder AddCallers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CallersOptions>().BindConfiguration(CallersOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<CallersOptions>, CallersOptions.Validator>();
        builder.Services.AddSingleton<CallerDirectory>();
        builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(CallerPolicies.DataForgeCaller, policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser());
        return builder;
    }
}
