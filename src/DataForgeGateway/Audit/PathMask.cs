using System.Buffers;

namespace DataForgeGateway.Audit;

/// <summary>
/// A path no route matched is the caller's own text, and a caller can paste anything into it, a key included.
/// What operators see of it (audit records, spans) keeps only the words of the gateway's own paths and masks the
/// rest: <c>/external/sorces/abc</c> becomes <c>/external/*/*</c>.
/// </summary>
public static class PathMask
{
    private const int MaxSegments = 8;

    private static readonly SearchValues<string> Known = SearchValues.Create(
        ["external", "source-pull", "inputs-filtered", "sources", "sources-filtered-by-name", "health", "live", "ready"],
        StringComparison.Ordinal);

    public static string Mask(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "/")
        {
            return "/";
        }

        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var masked = segments.Take(MaxSegments).Select(segment => Known.Contains(segment) ? segment : "*");
        return "/" + string.Join('/', masked) + (segments.Length > MaxSegments ? "/…" : "");
    }
}
