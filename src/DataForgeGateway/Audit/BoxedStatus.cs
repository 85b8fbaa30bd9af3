namespace DataForgeGateway.Audit;

/// <summary>HTTP status codes as objects (metric tags, log attributes), boxed once rather than once per request.</summary>
internal static class BoxedStatus
{
    private static readonly object[] Codes = [.. Enumerable.Range(0, 600).Select(code => (object)code)];

    public static object Of(int status) => (uint)status < Codes.Length ? Codes[status] : status;
}
