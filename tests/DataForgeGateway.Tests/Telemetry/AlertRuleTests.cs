using System.Diagnostics;

namespace DataForgeGateway.Tests.Telemetry;

/// <summary>The alert rules fire and stay quiet as their unit tests say, run by Prometheus's own promtool.</summary>
public sealed class AlertRuleTests
{
    [Fact]
    public async Task Every_alert_rule_passes_its_promtool_unit_tests()
    {
        var tests = Path.Combine(RepositoryRoot(), "config", "prometheus", "alerts.test.yaml");
        var start = new ProcessStartInfo("promtool") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("test");
        start.ArgumentList.Add("rules");
        start.ArgumentList.Add(tests);
        Process promtool;
        try
        {
            promtool = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new Xunit.Sdk.XunitException("promtool is needed to test the alert rules: apt-get install -y prometheus (.ci/run does).");
        }

        using (promtool)
        {
            var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
            await promtool.WaitForExitAsync();
            Assert.True(promtool.ExitCode == 0, output);
            Assert.Contains("SUCCESS", output);
        }
    }

    [Fact]
    public void Every_alert_has_a_unit_test_that_makes_it_fire()
    {
        var root = RepositoryRoot();
        var rules = File.ReadAllText(Path.Combine(root, "config", "prometheus", "alerts.yaml"));
        var tests = File.ReadAllText(Path.Combine(root, "config", "prometheus", "alerts.test.yaml"));
        var alerts = System.Text.RegularExpressions.Regex.Matches(rules, @"- alert: (\w+)").Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(alerts);
        Assert.All(alerts, alert => Assert.Matches($@"alertname: {alert}\s+exp_alerts:\s+- exp_labels", tests));
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DataForgeGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found.");
    }
}
