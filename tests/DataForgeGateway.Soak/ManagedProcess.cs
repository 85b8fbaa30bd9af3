using System.Diagnostics;
using System.Globalization;

namespace DataForgeGateway.Soak;

/// <summary>
/// A process the soak started, its output going straight to files (through <c>sh -c 'exec ...'</c>, so the pid is
/// the program's own and signals reach it). Signals are sent as an operator or the kubelet would: <c>kill -s</c>.
/// </summary>
internal sealed class ManagedProcess
{
    private readonly Process _process;

    private ManagedProcess(string name, Process process, string output, string errors)
    {
        Name = name;
        _process = process;
        OutputPath = output;
        ErrorPath = errors;
        StartedAt = DateTime.UtcNow;
    }

    public string Name { get; }

    public string OutputPath { get; }

    public string ErrorPath { get; }

    public DateTime StartedAt { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    public static ManagedProcess Start(string name, string executable, IEnumerable<string> arguments, string logDirectory, IDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var output = Path.Combine(logDirectory, $"{name}.out");
        var errors = Path.Combine(logDirectory, $"{name}.err");
        var start = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("out=$1; err=$2; shift 2; exec \"$@\" >>\"$out\" 2>>\"$err\" </dev/null");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(output);
        start.ArgumentList.Add(errors);
        start.ArgumentList.Add(executable);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return new ManagedProcess(name, Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start."), output, errors);
    }

    /// <summary>Sends a signal by name (TERM, KILL, STOP, CONT).</summary>
    public async Task SignalAsync(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", signal, Pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
    }

    /// <summary>SIGTERM, then waits; SIGKILL if it is still running after <paramref name="grace"/>. Returns whether it exited in time.</summary>
    public async Task<bool> StopAsync(TimeSpan grace)
    {
        await SignalAsync("TERM");
        using var timeout = new CancellationTokenSource(grace);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            return false;
        }
    }

    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Resident memory in bytes, from <c>/proc</c>; null once the process is gone.</summary>
    public long? ResidentBytes()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
