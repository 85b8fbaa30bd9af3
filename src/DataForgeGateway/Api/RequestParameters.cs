using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DataForgeGateway.Api;

/// <summary>
/// The values one request names, read and checked against its operation's definition. Published as a feature by
/// validation whatever its outcome (the audit records the ids a refused request named); <see cref="IsValid"/> once
/// every value passed. DataForge receives the canonical form built from these values, never the caller's bytes.
/// </summary>
public sealed class RequestParameters(DataForgeOperation operation)
{
    private readonly string?[] _values = new string?[operation.Parameters.Count];
    private string? _pathAndQuery;

    public DataForgeOperation Operation => operation;

    /// <summary>Every parameter present was valid and every required one present.</summary>
    public bool IsValid { get; set; }

    /// <summary>The checked value of parameter number <paramref name="index"/> of the operation, or null.</summary>
    public string? this[int index]
    {
        get => _values[index];
        set
        {
            _values[index] = value;
            _pathAndQuery = null;
        }
    }

    public string? ProjectId => ValueMeaning(ParameterMeaning.Project);

    public string? SourceId => ValueMeaning(ParameterMeaning.Source);

    /// <summary>The decoded name filter.</summary>
    public string? NameFilter => ValueMeaning(ParameterMeaning.NameFilter);

    /// <summary>
    /// The canonical path and query DataForge is sent: the template filled in, the query in declared order. Built
    /// once per request (the shared-read key and the forwarded target both read it).
    /// </summary>
    public string PathAndQuery() => _pathAndQuery ??= BuildPathAndQuery();

    private string BuildPathAndQuery()
    {
        // Into a buffer on the stack (rented from the pool if a long filter outgrows it): only the result is a new string.
        var text = new DefaultInterpolatedStringHandler(0, 0, CultureInfo.InvariantCulture, stackalloc char[256]);
        var template = operation.PathTemplate.AsSpan();
        for (var open = template.IndexOf('{'); open >= 0; open = template.IndexOf('{'))
        {
            var close = open + template[open..].IndexOf('}');
            text.AppendFormatted(template[..open]);
            text.AppendFormatted(Uri.EscapeDataString(_values[operation.IndexOf(template[(open + 1)..close], ParameterLocation.Path)] ?? string.Empty));
            template = template[(close + 1)..];
        }

        text.AppendFormatted(template);
        var separator = '?';
        for (var i = 0; i < _values.Length; i++)
        {
            if (operation.Parameters[i].In == ParameterLocation.Query && _values[i] is { } value)
            {
                text.AppendFormatted(separator);
                text.AppendFormatted(operation.Parameters[i].Name);
                text.AppendFormatted('=');
                text.AppendFormatted(Uri.EscapeDataString(value));
                separator = '&';
            }
        }

        return text.ToStringAndClear();
    }

    /// <summary>The JSON body DataForge is sent: the body's values as strings (the vendor's own form), in declared order.</summary>
    public byte[] CanonicalBody()
    {
        var body = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < _values.Length; i++)
        {
            if (operation.Parameters[i].In == ParameterLocation.Body)
            {
                body[operation.Parameters[i].Name] = _values[i];
            }
        }

        return JsonSerializer.SerializeToUtf8Bytes(body, ApiJsonContext.Default.DictionaryStringString);
    }

    private string? ValueMeaning(ParameterMeaning meaning)
    {
        for (var i = 0; i < _values.Length; i++)
        {
            if (operation.Parameters[i].Meaning == meaning)
            {
                return _values[i];
            }
        }

        return null;
    }
}

[JsonSerializable(typeof(Dictionary<string, string?>))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
