namespace DataForge.Sandbox.DataForgeApi;

/// <summary>A source as DataForge lists it.</summary>
public sealed record Source(long SourceId, string SourceName, long ProjectId, string ConnectionType, string Status);

/// <summary>The sandbox environment's fixed sources and inputs, shaped like DataForge's answers.</summary>
internal static class Catalog
{
    private static readonly Source[] All =
    [
        new(19643, "demo_orders", 1, "Table", "Active"),
        new(19709, "demo_customers", 1, "Table", "Active"),
        new(19710, "crm_accounts", 1, "SFTP", "Active"),
        new(20001, "billing_invoices", 2, "API", "Paused"),
        new(20002, "billing_demo_payments", 2, "Table", "Active"),
    ];

    public static Source? Find(long sourceId) => Array.Find(All, s => s.SourceId == sourceId);

    public static IEnumerable<object> Sources(string? projectId, string? nameFilter) =>
        All.Where(s => projectId is null || s.ProjectId.ToString(System.Globalization.CultureInfo.InvariantCulture) == projectId)
           .Where(s => nameFilter is null || s.SourceName.Contains(nameFilter, StringComparison.OrdinalIgnoreCase))
           .Select(s => new
           {
               source_id = s.SourceId,
               source_name = s.SourceName,
               project_id = s.ProjectId,
               connection_type = s.ConnectionType,
               status = s.Status,
           });

    public static IEnumerable<object> Inputs(long sourceId, int limit, bool effectiveOnly) =>
        Enumerable.Range(1, 12)
            .Select(i => new
            {
                input_id = (sourceId * 100) + i,
                source_id = sourceId,
                effective_flag = i % 3 != 0,
                status_code = i % 5 == 0 ? "F" : "P",
                received_datetime = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddHours(i).ToString("O"),
                record_count = 1000 + (i * 17),
            })
            .Where(input => !effectiveOnly || input.effective_flag)
            .Take(Math.Max(0, limit));
}
