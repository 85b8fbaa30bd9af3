using DataForgeGateway.Soak;

// scripts/soak.sh --minutes N [--replicas R] [--seed S]: see that script and the README's Operations section.
var options = SoakOptions.Parse(args);
Console.WriteLine($"Soak: {options.Minutes} min, {options.Replicas} replicas, seed {options.Seed}; output in {options.OutputDirectory}");
var problemTypes = Observations.ProblemTypesOf(await File.ReadAllTextAsync(Path.Combine(options.RepositoryRoot, "README.md")));
var observations = new Observations(problemTypes, () => DateTime.UtcNow);
var faults = new FaultSchedule(observations, options);
Report report;
await using (var deployment = await Deployment.StartAsync(options))
{
    var load = new LoadGenerator(deployment, observations, faults, options.Seed);
    report = await new SoakRun(options, deployment, observations, faults, load).RunAsync();
}

Console.WriteLine(report.Summary());
Console.WriteLine($"Report: {report.Write()}");
return report.Passed ? 0 : 1;
