using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Hosting;

/// <summary>
/// The rules a configuration must pass, the same at start-up and on every reload: no key the gateway does not read
/// (<see cref="ConfigurationSurface"/>), every value readable as its type, and every options type's validators
/// satisfied. Each failure is one line naming the key, never its value.
/// </summary>
internal static partial class ConfigurationChecks
{
    private static readonly MethodInfo CheckOptionsMethod = typeof(ConfigurationChecks).GetMethod(nameof(CheckOptions), BindingFlags.NonPublic | BindingFlags.Static)!;

    /// <summary>Every failure of <paramref name="candidate"/>, checked whole; empty when the gateway may run on it.</summary>
    public static List<string> Check(IConfiguration candidate, IServiceProvider services)
    {
        var failures = ConfigurationSurface.UnknownKeys(candidate).ToList();
        foreach (var (section, type) in ConfigurationSurface.Bound)
        {
            failures.AddRange((List<string>)CheckOptionsMethod.MakeGenericMethod(type).Invoke(null, [candidate, section, services])!);
        }

        return failures;
    }

    /// <summary>
    /// A value the configuration binder could not convert (<c>Gateway:Audit:Stdout=maybe</c>), as one line naming the
    /// key and the type wanted; not the value, which could be anything an operator pasted.
    /// </summary>
    public static string? Unreadable(Exception e) =>
        e is InvalidOperationException && ConversionFailure().Match(e.Message) is { Success: true } match
            ? $"{match.Groups["key"].Value} cannot be read as {match.Groups["type"].Value.Replace("System.", "", StringComparison.Ordinal)}."
            : null;

    private static List<string> CheckOptions<T>(IConfiguration candidate, string section, IServiceProvider services)
        where T : class, new()
    {
        var options = new T();
        try
        {
            if (options is Callers.CallersOptions callers)
            {
                candidate.GetSection(section).Bind(callers);   // by its concrete type: the generated binder, not reflection
                if (services.GetService<Callers.CallersFile>()?.Propose(candidate).MergeInto(callers) is { Count: > 0 } unusable)
                {
                    return unusable;
                }
            }
            else
            {
                candidate.GetSection(section).Bind(options);   // a type parameter: the reflection binder
            }
        }
        catch (InvalidOperationException e) when (Unreadable(e) is { } line)
        {
            return [line];
        }

        foreach (var post in services.GetServices<IPostConfigureOptions<T>>())
        {
            post.PostConfigure(Options.DefaultName, options);
        }

        var failures = new List<string>();
        foreach (var validator in services.GetServices<IValidateOptions<T>>())
        {
            if (ForCandidate(validator, candidate, services).Validate(Options.DefaultName, options) is { Failed: true } result)
            {
                failures.AddRange(result.Failures);
            }
        }

        return failures;
    }

    /// <summary>A validator that reads other settings (the environments a caller may name) reads the candidate's.</summary>
    private static IValidateOptions<T> ForCandidate<T>(IValidateOptions<T> validator, IConfiguration candidate, IServiceProvider services)
        where T : class =>
        validator.GetType().GetConstructors().Any(c => c.GetParameters().Any(p => p.ParameterType == typeof(IConfiguration)))
            ? (IValidateOptions<T>)ActivatorUtilities.CreateInstance(services, validator.GetType(), candidate)
            : validator;

    [GeneratedRegex(@"^Failed to convert configuration value '.*' at '(?<key>[^']+)' to type '(?<type>[^']+)'", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();
}
