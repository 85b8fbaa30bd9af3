using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace DataForgeGateway.Primitives;

/// <summary>Registers options the gateway's way: bound from a section, validated at start-up, readable live.</summary>
public static class LiveOptionsExtensions
{
    public static IServiceCollection AddLiveOptions(this IServiceCollection services)
    {
        services.TryAddSingleton(typeof(LiveOptions<>));
        return services;
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to <paramref name="section"/> and checks it with
    /// <typeparamref name="TValidator"/> before the gateway starts; a wrong key stops start-up with one line.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions, TValidator>(this IServiceCollection services, string section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
        services.AddLiveOptions();
        return services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
    }
}

/// <summary>
/// The current value of reloadable options, with an event for those who rebuild on a change. Only a configuration
/// checked whole reaches options (<c>Hosting/AcceptedConfiguration</c>): a change that fails validation is refused
/// before any options type sees it, so the value here is always the last valid one.
/// </summary>
public sealed partial class LiveOptions<T> : IDisposable
    where T : class
{
    private readonly IOptionsMonitor<T> _monitor;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _gate = new();
    private T? _current;

    /// <remarks>
    /// The options monitor builds each value once (at start-up validation, and again at each change, which it does
    /// whether anyone listens or not); these are its values, so a change costs one bind, not two. With 100,000
    /// callers a bind costs seconds.
    /// </remarks>
    public LiveOptions(IOptionsMonitor<T> monitor, ILogger<LiveOptions<T>> logger)
    {
        _monitor = monitor;
        _logger = logger;
        if (monitor.OnChange((next, name) => { if (name == Options.DefaultName) Apply(next); }) is { } subscription)
        {
            _subscriptions.Add(subscription);
        }
    }

    /// <summary>Raised with the new value after a reload that passed validation.</summary>
    public event Action<T>? Changed;

    /// <summary>
    /// The current value. The first read takes what start-up validation built and checked (the options monitor's
    /// value): binding again would cost the first request as much as start-up did (seconds, with 100,000 callers).
    /// </summary>
    public T Current
    {
        get
        {
            var current = Volatile.Read(ref _current);
            if (current is not null)
            {
                return current;
            }

            lock (_gate)
            {
                return _current ??= _monitor.Get(Options.DefaultName);
            }
        }
    }

    public void Dispose()
    {
        foreach (var subscription in _subscriptions)
        {
            subscription.Dispose();
        }
    }

    /// <summary>A value the monitor built and validated (an invalid one never gets here: the monitor throws first).</summary>
    private void Apply(T next)
    {
        Volatile.Write(ref _current, next);
        Log.Reloaded(_logger, typeof(T).Name);
        Changed?.Invoke(next);
    }

    private static partial class Log
    {
        [LoggerMessage(2, LogLevel.Information, "Configuration change for {Options} applied")]
        public static partial void Reloaded(ILogger logger, string options);
    }
}
