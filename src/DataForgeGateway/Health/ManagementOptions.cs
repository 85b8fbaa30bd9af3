using Microsoft.Extensions.Options;

namespace DataForgeGateway.Health;

/// <summary>The management listener: health (and later metrics) for operators, never exposed by the ingress.</summary>
public sealed class ManagementOptions
{
    public const string SectionName = "Gateway:Management";

    /// <summary>URL the management endpoints listen on; its port must be fixed and differ from the proxy's.</summary>
    public string Url { get; set; } = "http://*:8081";

    /// <summary>
    /// After SIGTERM, how long readiness answers 503 (<c>shutdown</c>) while the gateway goes on serving, before it
    /// stops accepting and drains: time for a load balancer that follows readiness (HAProxy, a cloud LB) to stop
    /// sending it requests. 0 (the default) in Kubernetes, where the pod's preStop sleep does this before SIGTERM.
    /// Within <c>HostOptions:ShutdownTimeout</c>, at most a minute.
    /// </summary>
    public TimeSpan ShutdownDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The longest <see cref="ShutdownDelay"/>: a stop that waits longer looks hung.</summary>
    public static readonly TimeSpan MaxShutdownDelay = TimeSpan.FromMinutes(1);

    /// <summary>The port of <see cref="Url"/>, or null when it is not an http URL with a fixed port and no path.</summary>
    public int? Port =>
        Uri.TryCreate(Url.Replace('*', 'x').Replace('+', 'x'), UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttp && uri.Port > 0 && !uri.IsDefaultPort && uri.AbsolutePath == "/"
            ? uri.Port
            : null;

    internal sealed class Validator(IReadOnlyList<string> proxyUrls) : IValidateOptions<ManagementOptions>
    {
        public ValidateOptionsResult Validate(string? name, ManagementOptions options) =>
            proxyUrls.FirstOrDefault(url => !IsListenUrl(url)) is { } wrong
                ? ValidateOptionsResult.Fail($"Urls (--urls, ASPNETCORE_URLS) holds '{wrong}', which is not a URL to listen on: give the scheme, host and port, such as http://127.0.0.1:8080.")
                : options.ShutdownDelay < TimeSpan.Zero || options.ShutdownDelay > MaxShutdownDelay
                    ? ValidateOptionsResult.Fail($"{SectionName}:ShutdownDelay must be between 00:00:00 and {MaxShutdownDelay:c}.")
                    : ValidatePort(options);

        /// <summary>An absolute http or https URL, its host possibly a wildcard (<c>*</c>, <c>+</c>).</summary>
        internal static bool IsListenUrl(string url) => TryParseListenUrl(url, out _);

        /// <summary>A URL Kestrel listens on, as a <see cref="Uri"/>: a wildcard host (<c>*</c>, <c>+</c>) is read as 0.0.0.0.</summary>
        internal static bool TryParseListenUrl(string url, out Uri uri) =>
            Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out uri!)
            && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && uri.Host.Length > 0 && url.Contains("://", StringComparison.Ordinal);

        private ValidateOptionsResult ValidatePort(ManagementOptions options) => options.Port switch
        {
            null => ValidateOptionsResult.Fail($"{SectionName}:Url must be an http URL with a fixed, non-zero port and no path, such as http://*:8081."),
            { } port when proxyUrls.Any(url => url.TrimEnd('/').EndsWith($":{port}", StringComparison.Ordinal)) =>
                ValidateOptionsResult.Fail($"{SectionName}:Url uses port {port}, which the proxy listens on too: give the management port its own."),
            _ => ValidateOptionsResult.Success,
        };
    }
}
