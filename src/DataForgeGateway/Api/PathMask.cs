using System.Buffers;

namespace DataForgeGateway.Api;

/// <summary>
/// A path no route matched is the caller's own text, and a caller can paste anything into it, a key included.
/// What operators see of it (audit records, spans) keeps only the words of the gateway's own paths and masks the
/// rest: <c>/external/sorces/abc</c> becomes <c>/external/*/*</c>.
/// </summary>
public static class PathMask
{
    private const int MaxSegments = 8;

    /// <summary>The words of the operations' paths, and of the health endpoints.</summary>
    private static readonly SearchValues<string> Known = SearchValues.Create(
        [.. DataForgeOperation.All.SelectMany(o => o.FixedSegments).Concat(DataForgeOperation.Names).Concat(["health", "live", "ready"]).Distinct()],
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
