using System.Buffers;
using System.Text;

namespace DataForgeGateway.Callers;

/// <summary>
/// Whether text a caller put in a path or a query is a key, judged by what it is rather than how it was written: read
/// as a person reads it (percent-escapes undone, fullwidth letters as ASCII, invisible characters such as a soft
/// hyphen or a zero-width space dropped), it holds the <c>dfgw_</c> prefix, or is a gateway key without it (its shape
/// and checksum), or is a key some caller has (by its hash). Such text is never forwarded, recorded or traced.
/// </summary>
/// <remarks>
/// Unicode normalisation (NFKC) is not available with invariant globalisation, which the gateway runs with; the
/// fold covers the forms that read as a key to a person: fullwidth forms and default-ignorable code points. A key is
/// ASCII, so any other character left means the text is not one.
/// </remarks>
internal static class KeyLikeText
{
    /// <summary>A gateway key without its prefix: key id, '_', secret and checksum.</summary>
    private const int ShortestUnprefixedKey = 4 + 1 + ApiKeyFormat.SecretLength + ApiKeyFormat.ChecksumLength;

    private static readonly SearchValues<string> Prefix = SearchValues.Create([ApiKeyFormat.Prefix], StringComparison.OrdinalIgnoreCase);
    private static readonly SearchValues<char> KeyCharacters = SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");

    /// <summary>Whether <paramref name="raw"/> (a path segment or query value, escaped or not) is a key in disguise or not.</summary>
    public static bool IsKeyLike(ReadOnlySpan<char> raw, CallerDirectory callers)
    {
        var decoded = Unescape(raw);
        var text = System.Text.Ascii.IsValid(decoded) ? decoded : Fold(decoded);

        if (text.ContainsAny(Prefix))
        {
            return true;
        }

        if (text.Length >= ShortestUnprefixedKey)
        {
            foreach (var range in text.SplitAny(" -.~!$&'()*+,;=:@"))
            {
                var token = text[range];
                if (token.Length >= ShortestUnprefixedKey && !token.ContainsAnyExcept(KeyCharacters)
                    && ApiKeyFormat.Inspect(string.Concat(ApiKeyFormat.Prefix, token), out _) == KeyShape.Valid)
                {
                    return true;
                }
            }
        }

        // A key configured by its hash alone has no shape to see: its hash is looked up. Digits alone (the ids the
        // routes take) are no key anyone is given.
        return text.ContainsAnyExceptInRange('0', '9') && (callers.IsConfiguredKey(text) || (text != decoded && callers.IsConfiguredKey(decoded)));
    }

    /// <summary>Percent-escapes undone, twice-encoded ones too (<c>%2564</c>), at most three rounds.</summary>
    private static ReadOnlySpan<char> Unescape(ReadOnlySpan<char> raw)
    {
        if (!raw.Contains('%'))
        {
            return raw;
        }

        var text = raw.ToString();
        for (var round = 0; round < 3 && text.Contains('%', StringComparison.Ordinal); round++)
        {
            var next = Uri.UnescapeDataString(text);
            if (next == text)
            {
                break;
            }

            text = next;
        }

        return text;
    }

    /// <summary>Fullwidth forms as ASCII, default-ignorable code points dropped (Unicode's DerivedCoreProperties).</summary>
    internal static string Fold(ReadOnlySpan<char> text)
    {
        var folded = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            var value = rune.Value;
            if (IsDefaultIgnorable(value))
            {
                continue;
            }

            folded.Append(value is >= 0xFF01 and <= 0xFF5E ? (char)(value - 0xFF01 + 0x21) : rune.ToString());
        }

        return folded.ToString();
    }

    private static bool IsDefaultIgnorable(int c) =>
        c is 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFEFF or 0xFFA0
        or (>= 0x180B and <= 0x180F) or (>= 0x200B and <= 0x200F) or (>= 0x202A and <= 0x202E) or (>= 0x2060 and <= 0x206F)
        or (>= 0xFE00 and <= 0xFE0F) or (>= 0xFFF0 and <= 0xFFF8) or (>= 0x1BCA0 and <= 0x1BCA3) or (>= 0x1D173 and <= 0x1D17A)
        or (>= 0xE0000 and <= 0xE0FFF);
}
