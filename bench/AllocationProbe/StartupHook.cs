// A .NET startup hook (DOTNET_STARTUP_HOOKS) for the benchmark: every process under test writes the bytes it has
// allocated so far to the file named by BENCH_ALLOC_FILE, ten times a second, so the benchmark can measure bytes
// per request in every arm alike, without changing the code under test.
#pragma warning disable CA1050 // A startup hook must be a type named StartupHook in no namespace.
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        var path = Environment.GetEnvironmentVariable("BENCH_ALLOC_FILE");
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        var thread = new Thread(() =>
        {
            while (true)
            {
                File.WriteAllText(path + ".tmp", GC.GetTotalAllocatedBytes(precise: false).ToString(System.Globalization.CultureInfo.InvariantCulture));
                File.Move(path + ".tmp", path, overwrite: true);
                Thread.Sleep(100);
            }
        })
        { IsBackground = true, Name = "allocation-probe" };
        thread.Start();
    }
}
