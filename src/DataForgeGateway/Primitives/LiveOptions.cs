using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

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
/// The current, valid value of reloadable options. Unlike <see cref="IOptionsMonitor{TOptions}"/>, a reload that
/// fails validation is logged and ignored (the last valid value stays), rather than thrown from the reload
/// callback. So a half-written secret file or a typo in appsettings never takes a running gateway down.
/// </summary>
public sealed partial class LiveOptions<T> : IDisposable
    where T : class
{
    private readonly IOptionsFactory<T> _factory;
    private readonly ILogger _logger;
    private readonly List<IDisposable> _subscriptions = [];
    private readonly Lock _gate = new();
    private T? _current;

    public LiveOptions(IOptionsFactory<T> factory, IEnumerable<IOptionsChangeTokenSource<T>> sources, ILogger<LiveOptions<T>> logger)
    {
        _factory = factory;
        _logger = logger;
        foreach (var source in sources.Where(s => s.Name == Options.DefaultName))
        {
            _subscriptions.Add(ChangeToken.OnChange(source.GetChangeToken, Reload));
        }
    }

    /// <summary>Raised with the new value after a reload that passed validation.</summary>
    public event Action<T>? Changed;

    /// <summary>The current value. The first read validates (start-up validation has already run by then).</summary>
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
                return _current ??= _factory.Create(Options.DefaultName);
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

    private void Reload()
    {
        T next;
        try
        {
            next = _factory.Create(Options.DefaultName);
        }
        catch (OptionsValidationException e)
        {
            Log.ReloadRejected(_logger, typeof(T).Name, string.Join(" ", e.Failures));
            return;
        }

        Volatile.Write(ref _current, next);
        Log.Reloaded(_logger, typeof(T).Name);
        Changed?.Invoke(next);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Configuration change for {Options} ignored, the previous settings stay in force: {Failures}")]
        public static partial void ReloadRejected(ILogger logger, string options, string failures);

        [LoggerMessage(2, LogLevel.Information, "Configuration change for {Options} applied")]
        public static partial void Reloaded(ILogger logger, string options);
    }
}
