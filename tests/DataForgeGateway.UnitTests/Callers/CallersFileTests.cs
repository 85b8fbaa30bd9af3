using System.Text;
using System.Text.Json;
using DataForgeGateway.Callers;
using Microsoft.Extensions.Configuration;

namespace DataForgeGateway.UnitTests.Callers;

public sealed class CallersFileTests
{
    [Fact]
    public void A_callers_file_reads_as_the_same_callers_under_Gateway_Callers_would()
    {
        var random = new Random(35);
        var callers = new StringBuilder("{");
        for (var i = 0; i < 400; i++)
        {
            callers.Append(i == 0 ? "" : ",").Append(Caller(random, i));
        }

        var json = callers.Append('}').ToString();
        var fromConfiguration = new CallersOptions();
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes($$"""{ "Gateway": { "Callers": {{json}} } }""")))
            .Build().GetSection(CallersOptions.SectionName).Bind(fromConfiguration);
        var fromFile = CallersFileFormat.Parse("/callers.json", 1, Encoding.UTF8.GetBytes(json));

        Assert.Empty(fromFile.Failures);
        Assert.Equal(400, fromConfiguration.Callers.Count);
        Assert.Equal(fromConfiguration.Callers.Keys.Order(StringComparer.Ordinal), fromFile.Callers.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, caller) in fromConfiguration.Callers)
        {
            Assert.Equal(Shown(caller), Shown(fromFile.Callers[name]));
        }
    }

    [Theory]
    [InlineData("""{ "svc-1": { "Keys": [ { "Sha2565": "abc" } ] } }""", "Gateway:CallersFile: svc-1:Keys:0:Sha2565 is not a setting of a caller the gateway knows (line 1).")]
    [InlineData("""{ "svc-1": { "Keys": [], "UnrestrictedSources": "maybe" } }""", "Gateway:CallersFile: svc-1:UnrestrictedSources cannot be read as the setting's type (line 1).")]
    [InlineData("""{ "svc-1": { "Keys": [ { "Expires": "soon-ish" } ] } }""", "Gateway:CallersFile: svc-1:Keys:0:Expires cannot be read as the setting's type (line 1).")]
    [InlineData("""{ "svc-1": { "RateLimit": { "PermitsPerSecond": "many" } } }""", "Gateway:CallersFile: svc-1:RateLimit:PermitsPerSecond cannot be read as the setting's type (line 1).")]
    [InlineData("{ \"svc-1\": {\n \"Keys\": null } }", "Gateway:CallersFile: svc-1:Keys cannot be null (line 2).")]
    [InlineData("""{ "svc-1": { "ProjectIds": [ "1", null ] } }""", "Gateway:CallersFile: svc-1:ProjectIds:1 cannot be null.")]
    [InlineData("""{ "svc-1": {}, "svc-1": {} }""", "Gateway:CallersFile: svc-1 is there twice (line 1).")]
    [InlineData("""{ "svc-1": {}, "SVC-1": {} }""", "Gateway:CallersFile: SVC-1 is there twice (caller names are compared ignoring case).")]
    [InlineData("""{ "svc-1": { "Keys": [ { "Sha256": "secret-looking-value" """, "Gateway:CallersFile: svc-1:Keys:0 is not valid JSON (line 1).")]
    [InlineData("""[ { "svc-1": {} } ]""", "Gateway:CallersFile: the file must hold an object of callers by name (line 1).")]
    public void A_file_that_cannot_be_used_is_one_line_naming_where_without_the_value(string json, string expected)
    {
        var content = CallersFileFormat.Parse("/callers.json", 1, Encoding.UTF8.GetBytes(json));

        var failure = Assert.Single(content.Failures);
        Assert.Equal(expected, failure);
        Assert.DoesNotContain("secret-looking-value", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("maybe", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_caller_in_the_file_and_in_configuration_is_refused_and_the_files_failures_name_the_file()
    {
        var options = new CallersOptions();
        options.Callers["billing-svc"] = new CallerOptions { Keys = [new ApiKeyOptions { Sha256 = new string('a', 64) }] };
        var content = CallersFileFormat.Parse("/callers.json", 1, """{ "Billing-Svc": { "Keys": [ { "Sha256": "bb" } ] }, "ops-svc": { "Keys": [ { "Sha256": "not-a-hash" } ] } }"""u8.ToArray());

        var clashes = content.MergeInto(options);

        Assert.Equal(["Gateway:CallersFile: Billing-Svc is also configured under Gateway:Callers: a caller is configured in one place."], clashes);
        var configuration = new ConfigurationBuilder().Build();
        var result = new CallersOptions.Validator(configuration).Validate(null, options);
        Assert.Equal(["Gateway:CallersFile: ops-svc:Keys:0:Sha256 must be the lower-case hex SHA-256 of the key (64 characters)."], result.Failures);
    }

    [Fact]
    public void The_file_is_parsed_once_per_content_and_only_what_a_check_read_is_put_in_force()
    {
        var path = Path.Combine(Path.GetTempPath(), $"callers-{Guid.NewGuid():N}.json");
        try
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(CallersFile.PathKey, path)]).Build();
            var file = new CallersFile();
            Assert.Equal(["Gateway:CallersFile names a file that does not exist."], file.Propose(configuration).Failures);

            File.WriteAllText(path, """{ "svc-1": { "Keys": [ { "Sha256": "aa" } ] } }""");
            var first = file.Propose(configuration);
            Assert.Same(first, file.Propose(configuration));
            Assert.Null(file.Accepted);
            Assert.True(file.Changed(path));

            file.AcceptProposed();
            Assert.Same(first, file.Accepted);
            Assert.False(file.Changed(path));

            File.WriteAllText(path, """{ "svc-2": { "Keys": [ { "Sha256": "aa" } ] } }""");
            Assert.True(file.Changed(path));
            var second = file.Propose(configuration);
            Assert.Equal(["svc-2"], second.Callers.Keys);
            Assert.Same(first, file.Accepted);   // read for a check, not yet in force
            Assert.True(file.Changed(null));      // the setting taken out is a change too
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>One caller of every shape the configuration reads, spelled as operators do (names in any case, numbers as text or not).</summary>
    private static string Caller(Random random, int i)
    {
        string Case(string name) => random.Next(4) == 0 ? name.ToLowerInvariant() : name;
        string Id() => random.Next(3) == 0 ? $"\"{random.Next(1, 99_999)}\"" : random.Next(1, 99_999).ToString();
        var parts = new List<string>();
        var keys = Enumerable.Range(0, random.Next(0, 3)).Select(k =>
        {
            var fields = new List<string> { $"\"{Case("Sha256")}\": \"{Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64()))}\"" };
            if (random.Next(2) == 0) fields.Add($"\"Id\": \"k{i}x{k}\"");
            if (random.Next(3) == 0) fields.Add($"\"NotBefore\": \"2026-0{random.Next(1, 9)}-1{random.Next(0, 9)}\"");
            if (random.Next(3) == 0) fields.Add($"\"{Case("Expires")}\": \"2027-06-30T12:00:00+02:00\"");
            return "{" + string.Join(",", fields) + "}";
        });
        parts.Add($"\"{Case("Keys")}\": [{string.Join(",", keys)}]");
        if (random.Next(3) == 0) parts.Add($"\"Workloads\": [{{ \"Issuer\": \"local\", \"{Case("Subject")}\": \"system:serviceaccount:ns:svc-{i}\" }}]");
        if (random.Next(2) == 0) parts.Add($"\"ProjectIds\": [{string.Join(",", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Id()))}]");
        if (random.Next(2) == 0) parts.Add($"\"{Case("SourceIds")}\": [{string.Join(",", Enumerable.Range(0, random.Next(1, 4)).Select(_ => Id()))}]");
        if (random.Next(2) == 0) parts.Add("\"Operations\": [\"sources\", \"source-pull\"]");
        if (random.Next(3) == 0) parts.Add("\"Environments\": [\"*\"]");
        if (random.Next(4) == 0) parts.Add($"\"Name\": \"shown-{i}\"");
        if (random.Next(4) == 0) parts.Add($"\"UnrestrictedSources\": {(random.Next(2) == 0 ? "true" : "\"True\"")}");
        if (random.Next(4) == 0) parts.Add($"\"RateLimit\": {{ \"PermitsPerSecond\": {(random.Next(2) == 0 ? "2.5" : "\"7\"")}, \"Burst\": 10, \"OnRedisFailure\": \"{(random.Next(2) == 0 ? "closed" : "LocalShare")}\", \"LocalShare\": 0.5 }}");
        if (random.Next(4) == 0) parts.Add("\"OperationRateLimits\": { \"source-pull\": { \"PermitsPerSecond\": 1, \"Burst\": \"2\" } }");
        return $"\"svc-{i:D4}\": {{{string.Join(",", parts)}}}";
    }

    private static string Shown(CallerOptions caller) => JsonSerializer.Serialize(caller);
}
