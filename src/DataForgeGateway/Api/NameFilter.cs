using System.Text;

namespace DataForgeGateway.Api;

/// <summary>
/// The name filter of <c>sources-filtered-by-name</c>: any section of a source name. The raw path segment is
/// decoded exactly once (so <c>%252F</c> is the text <c>%2F</c>, never a slash), the decoded text is checked, and
/// DataForge is sent the gateway's own encoding of it: the string the caller meant, encoded once.
/// </summary>
public static class NameFilter
{
    public const int MaxLength = 100;

    private const string Segment = "/external/sources-filtered-by-name/";

    /// <summary>
    /// Whether <paramref name="path"/> (the raw target's path) has the shape of the operation's route, with or without
    /// an environment in front; if so, the part before the filter and the raw filter segment.
    /// </summary>
    public static bool TrySplit(ReadOnlySpan<char> path, out ReadOnlySpan<char> prefix, out ReadOnlySpan<char> rawFilter)
    {
        prefix = default;
        rawFilter = default;
        var at = path.IndexOf(Segment, StringComparison.OrdinalIgnoreCase);
        if (at < 0)
        {
            return false;
        }

        var before = path[..at];
        var filter = path[(at + Segment.Length)..];
        if (filter.Contains('/') || (before.Length > 0 && (before[0] != '/' || before[1..].Contains('/'))))
        {
            return false;
        }

        prefix = path[..(at + Segment.Length)];
        rawFilter = filter;
        return true;
    }

    /// <summary>Decodes a raw segment once and checks it; null with the decoded text, or why it cannot be a name filter.</summary>
    public static string? Decode(ReadOnlySpan<char> raw, out string value)
    {
        value = "";
        var bytes = new byte[raw.Length];
        var length = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var c = raw[i];
            if (c == '%')
            {
                if (i + 2 >= raw.Length || !char.IsAsciiHexDigit(raw[i + 1]) || !char.IsAsciiHexDigit(raw[i + 2]))
                {
                    return "A '%' in the filter must start an escape of two hex digits (send '%' itself as %25).";
                }

                bytes[length++] = (byte)((HexValue(raw[i + 1]) << 4) | HexValue(raw[i + 2]));
                i += 2;
            }
            else if (c is > ' ' and < (char)0x7f)
            {
                bytes[length++] = (byte)c;
            }
            else
            {
                return "The filter holds a character that is not allowed in a URL unencoded.";
            }
        }

        try
        {
            value = new UTF8Encoding(false, true).GetString(bytes, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return "The filter's escapes are not UTF-8.";
        }

        return WhyNot(value);
    }

    /// <summary>Why a decoded filter is refused: empty or too long, a slash or backslash, a dot segment, a control character.</summary>
    public static string? WhyNot(string value)
    {
        if (value.Length is 0 or > MaxLength || string.IsNullOrWhiteSpace(value))
        {
            return $"The filter must be 1 to {MaxLength} characters, not only spaces.";
        }

        if (value is "." or ".." || value.Contains('/') || value.Contains('\\'))
        {
            return "The filter may not hold '/' or '\\' (in any encoding), nor be '.' or '..'.";
        }

        return value.Any(char.IsControl) ? "The filter may not hold control characters." : null;
    }

    /// <summary>The path DataForge is sent: the filter encoded once, every character but the unreserved ones escaped.</summary>
    public static string Encode(string value) => Uri.EscapeDataString(value);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
