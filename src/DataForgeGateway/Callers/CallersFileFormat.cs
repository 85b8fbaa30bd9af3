using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace DataForgeGateway.Callers;

/// <summary>
/// Reads a callers file (<see cref="CallersFile"/>) as the configuration would read the same object under
/// <c>Gateway:Callers</c>: names ignoring case, comments and trailing commas allowed, numbers where text is wanted
/// (<c>"ProjectIds": [ 1, 2 ]</c>), text where numbers or a boolean are (<c>"true"</c>), dates as the configuration
/// binder reads them. A setting the gateway does not read is refused, as under <c>Gateway</c>, naming where it is.
/// </summary>
internal static partial class CallersFileFormat
{
    public static CallersFileContent Parse(string path, UInt128 hash, byte[] bytes)
    {
        Dictionary<string, CallerOptions>? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(bytes, CallersFileJson.Default.DictionaryStringCallerOptions);
        }
        catch (JsonException e)
        {
            return CallersFileContent.Failed(path, Describe(e));
        }
        catch (NotSupportedException e)
        {
            // A shape the options cannot take at all; said like a value of the wrong type, at its place.
            return CallersFileContent.Failed(path, $"{CallersFile.PathKey}: {Where((e.InnerException as JsonException ?? e as Exception) is JsonException inner ? inner.Path : null)} cannot be read as the setting's type.");
        }

        if (parsed is null)
        {
            return CallersFileContent.Failed(path, $"{CallersFile.PathKey}: the file must hold an object of callers by name.");
        }

        var callers = new Dictionary<string, CallerOptions>(parsed.Count, StringComparer.OrdinalIgnoreCase);
        var failures = new List<string>();
        foreach (var (name, caller) in parsed)
        {
            if (!callers.TryAdd(name, caller))
            {
                failures.Add($"{CallersFile.PathKey}: {name} is there twice (caller names are compared ignoring case).");
            }
            else if (caller is null)
            {
                failures.Add($"{CallersFile.PathKey}: {name} cannot be null.");
            }
            else if (HasNull(caller) is { } property)
            {
                failures.Add($"{CallersFile.PathKey}: {name}:{property} cannot be null.");
            }
        }

        return new CallersFileContent(path, hash, callers, failures);
    }

    /// <summary>A list's element or a limit that is null (which the options do not allow, and the validator would not expect).</summary>
    private static string? HasNull(CallerOptions caller)
    {
        foreach (var (name, list) in (ReadOnlySpan<(string, List<string>)>)[("Environments", caller.Environments), ("Operations", caller.Operations), ("ProjectIds", caller.ProjectIds), ("SourceIds", caller.SourceIds)])
        {
            if (list.IndexOf(null!) is >= 0 and var i)
            {
                return $"{name}:{i}";
            }
        }

        return caller.Keys.IndexOf(null!) is >= 0 and var key ? $"Keys:{key}"
            : caller.Workloads.IndexOf(null!) is >= 0 and var workload ? $"Workloads:{workload}"
            : caller.OperationRateLimits.FirstOrDefault(pair => pair.Value is null).Key is { } operation ? $"OperationRateLimits:{operation}"
            : null;
    }

    /// <summary>
    /// One line: where in the file (as a configuration key below the caller, and the line), and what kind of problem;
    /// never the value, which could be anything pasted there.
    /// </summary>
    private static string Describe(JsonException e)
    {
        var where = Where(e.Path);
        var line = e.LineNumber is { } number ? $" (line {number + 1})" : "";
        var what = e.InnerException?.GetType().Name == "JsonReaderException" ? "is not valid JSON"
            : e.Message.Contains("could not be mapped", StringComparison.Ordinal) ? "is not a setting of a caller the gateway knows"
            : e.Message.Contains("Duplicate", StringComparison.OrdinalIgnoreCase) ? "is there twice"
            : e.Message.Contains("nullability annotation", StringComparison.Ordinal) ? "cannot be null"
            : "cannot be read as the setting's type";
        return where.Length > 0 ? $"{CallersFile.PathKey}: {where} {what}{line}."
            : what == "is not valid JSON" ? $"{CallersFile.PathKey}: the file {what}{line}."
            : $"{CallersFile.PathKey}: the file must hold an object of callers by name{line}.";
    }

    /// <summary>A JSON path (<c>$['svc-1'].Keys[0].Sha256</c>) as a configuration key below the file (<c>svc-1:Keys:0:Sha256</c>).</summary>
    internal static string Where(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "";
        }

        var key = new StringBuilder();
        foreach (Match segment in PathSegment().Matches(path))
        {
            key.Append(key.Length == 0 ? "" : ":").Append(segment.Groups["name"].Success ? segment.Groups["name"].Value : segment.Groups["quoted"].Success ? segment.Groups["quoted"].Value.Replace("\\'", "'", StringComparison.Ordinal) : segment.Groups["index"].Value);
        }

        return key.ToString();
    }

    [GeneratedRegex(@"\.(?<name>[^.\[]+)|\['(?<quoted>(?:[^'\\]|\\.)*)'\]|\[(?<index>\d+)\]")]
    private static partial Regex PathSegment();
}

[JsonSourceGenerationOptions(
    PropertyNameCaseInsensitive = true,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    UseStringEnumConverter = true,
    RespectNullableAnnotations = true,
    AllowDuplicateProperties = false,
    Converters = [typeof(ConfigurationText), typeof(ConfigurationBoolean), typeof(ConfigurationDate)])]
[JsonSerializable(typeof(Dictionary<string, CallerOptions>))]
internal sealed partial class CallersFileJson : JsonSerializerContext;

/// <summary>Text as configuration has it: a number or a boolean where text is wanted is its text.</summary>
internal sealed class ConfigurationText : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
        JsonTokenType.True => bool.TrueString,
        JsonTokenType.False => bool.FalseString,
        _ => throw new JsonException(),
    };

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetString()!;

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WritePropertyName(value);
}

/// <summary>A boolean as configuration reads one: <c>true</c>, or text that <see cref="bool.Parse(string)"/> reads.</summary>
internal sealed class ConfigurationBoolean : JsonConverter<bool>
{
    public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.String when bool.TryParse(reader.GetString(), out var value) => value,
        _ => throw new JsonException(),
    };

    public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
}

/// <summary>A moment as the configuration binder reads one (<see cref="DateTimeOffset.Parse(string, IFormatProvider)"/>, invariant culture).</summary>
internal sealed class ConfigurationDate : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && DateTimeOffset.TryParse(reader.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var value)
            ? value
            : throw new JsonException();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
