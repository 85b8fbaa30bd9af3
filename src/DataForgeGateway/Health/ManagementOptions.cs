using Microsoft.Extensions.Options;

namespace DataForgeGateway.Health;

/// <summary>The management listener: health (and later metrics) for operators, never exposed by the ingress.</summary>
public sealed class ManagementOptions
{
    public const string SectionName = "Gateway:Management";

    /// <summary>URL the management endpoints listen on; its port must be fixed and differ from the proxy's.</summary>
    public string Url { get; set; } = "http://*:8081";

    /// <summary>The port of <see cref="Url"/>, or null when it is not an http URL with a fixed port and no path.</summary>
    public int? Port =>
        Uri.TryCreate(Url.Replace('*', 'x').Replace('+', 'x'), UriKind.Absolute, out var uri)
        && uri.Scheme == Uri.UriSchemeHttp && uri.Port > 0 && !uri.IsDefaultPort && uri.AbsolutePath == "/"
            ? uri.Port
            : null;

    internal sealed class Validator(IReadOnlyList<string> proxyUrls) : IValidateOptions<ManagementOptions>
    {
        public ValidateOptionsResult Validate(string? name, ManagementOptions options) => options.Port switch
        {
            null => ValidateOptionsResult.Fail($"{SectionName}:Url must be an http URL with a fixed, non-zero port and no path, such as http://*:8081."),
            { } port when proxyUrls.Any(url => url.TrimEnd('/').EndsWith($":{port}", StringComparison.Ordinal)) =>
                ValidateOptionsResult.Fail($"{SectionName}:Url uses port {port}, which the proxy listens on too: give the management port its own."),
            _ => ValidateOptionsResult.Success,
        };
    }
}
