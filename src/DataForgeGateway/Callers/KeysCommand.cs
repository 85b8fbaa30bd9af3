using System.Text.Json;
using System.Text.RegularExpressions;

namespace DataForgeGateway.Callers;

/// <summary>
/// <c>keys new --caller NAME [--expires 2027-06-30]</c>: mints a key and prints it once, with the configuration
/// entry (id and hash) to add. The key is written nowhere else: not to a file, not to a log.
/// </summary>
public static partial class KeysCommand
{
    public static bool TryRun(string[] args, TextWriter output, TextWriter error, out int exitCode)
    {
        exitCode = 0;
        if (args is not ["keys", ..])
        {
            return false;
        }

        if (args is not ["keys", "new", "--caller", var caller, .. var rest] || !CallerName().IsMatch(caller) || !TryParseExpiry(rest, out var expires))
        {
            error.WriteLine("usage: keys new --caller <caller name> [--expires <date, e.g. 2027-06-30>]");
            exitCode = 2;
            return true;
        }

        var (keyId, key) = ApiKeyFormat.New();
        var sha256 = KeyDigest.Compute(key).ToString();
        var entry = new Dictionary<string, string> { ["Id"] = keyId, ["Sha256"] = sha256 };
        if (expires is { } expiry)
        {
            entry["Expires"] = expiry.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        }

        var json = JsonSerializer.Serialize(new { Gateway = new { Callers = new Dictionary<string, object> { [caller] = new { Keys = new[] { entry } } } } });
        output.WriteLine($"New API key for caller '{caller}'. It is shown this once: put it in the caller's secret store now.");
        output.WriteLine();
        output.WriteLine($"  {key}");
        output.WriteLine();
        output.WriteLine("Add this entry to the caller's Keys in the gateway's configuration (keep the old key until the caller has moved):");
        output.WriteLine();
        output.WriteLine($"  {json}");
        output.WriteLine();
        output.WriteLine("or as environment variables, with N the next free index of the caller's keys:");
        output.WriteLine();
        foreach (var (name, value) in entry)
        {
            output.WriteLine($"  Gateway__Callers__{caller}__Keys__N__{name}={value}");
        }

        return true;
    }

    private static bool TryParseExpiry(string[] rest, out DateTimeOffset? expires)
    {
        expires = null;
        switch (rest)
        {
            case []:
                return true;
            case ["--expires", var text] when DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed):
                expires = parsed.ToUniversalTime();
                return true;
            default:
                return false;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex CallerName();
}
