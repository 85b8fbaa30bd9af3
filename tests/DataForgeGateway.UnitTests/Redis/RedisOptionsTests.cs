using DataForgeGateway.Redis;

namespace DataForgeGateway.UnitTests.Redis;

/// <summary>Redis as operators write it: a redis:// URI is read as the same settings.</summary>
public sealed class RedisOptionsTests
{
    [Fact]
    public void A_redis_uri_is_read_as_the_same_settings()
    {
        var plain = new RedisOptions { ConnectionString = "redis://:p%40ss@cache.internal:6380/2" }.Parse();
        var tls = new RedisOptions { ConnectionString = "rediss://gateway:secret@cache.internal" }.Parse();

        Assert.Equal("cache.internal:6380", Assert.Single(plain.EndPoints).ToString()?.Replace("Unspecified/", "", StringComparison.Ordinal));
        Assert.Equal(("p@ss", 2, false), (plain.Password, plain.DefaultDatabase, plain.Ssl));
        Assert.Equal(("gateway", "secret", true), (tls.User, tls.Password, tls.Ssl));
        Assert.Contains("6379", Assert.Single(tls.EndPoints).ToString());
    }
}
