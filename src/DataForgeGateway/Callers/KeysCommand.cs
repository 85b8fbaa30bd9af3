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

        if (WhatIsWrong(args, DateTimeOffset.UtcNow, out var caller, out var expires) is { } wrong)
        {
            error.WriteLine($"keys: {wrong}");
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
        output.WriteLine("or as environment variables (bash, env files, Kubernetes), with N the next free index of the caller's keys:");
        output.WriteLine();
        var section = EnvironmentSafe(caller);
        if (section != caller)
        {
            // A dash or a dot is not allowed in a shell variable's name: the caller is configured under another key
            // and keeps its name through Name.
            output.WriteLine($"  export Gateway__Callers__{section}__Name={caller}");
        }

        foreach (var (name, value) in entry)
        {
            output.WriteLine($"  export Gateway__Callers__{section}__Keys__N__{name}={value}");
        }

        return true;
    }

    /// <summary>A configuration key for the caller that is also a valid shell variable name segment.</summary>
    internal static string EnvironmentSafe(string caller) => caller.Replace('-', '_').Replace('.', '_');

    private static string? WhatIsWrong(string[] args, DateTimeOffset now, out string caller, out DateTimeOffset? expires)
    {
        caller = "";
        expires = null;
        if (args is not ["keys", "new", ..])
        {
            return args.Length < 2 ? "say what to do: keys new." : $"'{args[1]}' is not a keys command; the one there is: keys new.";
        }

        if (args is not ["keys", "new", "--caller", var name, .. var rest])
        {
            return "--caller <name> is required, right after 'keys new'.";
        }

        if (!CallerName().IsMatch(name))
        {
            return $"'{name}' is not a caller name: 1 to 64 letters, digits, '.', '_' or '-'.";
        }

        caller = name;
        switch (rest)
        {
            case []:
                return null;
            case ["--expires", var text] when DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed):
                expires = parsed.ToUniversalTime();
                return expires <= now ? $"--expires {text} is in the past: the key would never work." : null;
            case ["--expires", var text]:
                return $"--expires '{text}' is not a date (2027-06-30, or 2027-06-30T12:00:00Z).";
            case ["--expires"]:
                return "--expires needs a date.";
            default:
                return $"'{rest[0]}' is not an option of keys new.";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex CallerName();
}
