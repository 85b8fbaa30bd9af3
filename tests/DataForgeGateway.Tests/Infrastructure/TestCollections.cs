namespace DataForgeGateway.Tests.Infrastructure;

/// <summary>One Redis shared by the tests of this collection; each test keeps to a key prefix of its own.</summary>
public sealed class SharedRedis : IAsyncLifetime
{
    public RedisServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await RedisServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Settings that point a gateway at this Redis under a prefix no other test uses.</summary>
    public Dictionary<string, string?> SettingsForTest(string prefix) => new()
    {
        ["Gateway:Redis:ConnectionString"] = Server.ConnectionString,
        ["Gateway:Redis:InstanceName"] = $"test-{prefix}-{Guid.NewGuid():N}:",
    };
}

[CollectionDefinition(Name)]
public sealed class RedisTests : ICollectionFixture<SharedRedis>
{
    public const string Name = "redis";
}

/// <summary>Tests that listen process-wide (ActivitySource listeners) run alone, so other tests' spans do not mix in.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialTests
{
    public const string Name = "serial";
}
