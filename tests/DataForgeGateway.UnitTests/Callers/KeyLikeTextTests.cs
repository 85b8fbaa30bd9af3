using DataForgeGateway.Callers;
using DataForgeGateway.Primitives;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace DataForgeGateway.UnitTests.Callers;

/// <summary>A key is found by what it is, however it was written into a path or a query.</summary>
public sealed class KeyLikeTextTests
{
    /// <summary>A key configured by its hash alone: it has no shape to recognise.</summary>
    private const string HashOnlyKey = "legacy-key-reporting-88ab12";

    private static readonly string Key = ApiKeyFormat.New().Key;

    public static TheoryData<string, string> Disguises => new()
    {
        { "as it is", Key },
        { "upper case", Key.ToUpperInvariant() },
        { "percent-encoded", "%64" + Key[1..] },
        { "encoded twice", "%2564" + Key[1..] },
        { "without its prefix", Key[ApiKeyFormat.Prefix.Length..] },
        { "inside other text", "notes-" + Key[ApiKeyFormat.Prefix.Length..] + ".txt" },
        { "a fullwidth letter", "\uFF44" + Key[1..] },
        { "a soft hyphen", Key[..2] + "\u00AD" + Key[2..] },
        { "a zero-width space", Key[..3] + "\u200B" + Key[3..] },
        { "a byte-order mark", "\uFEFF" + Key },
        { "a key configured by hash alone", HashOnlyKey },
        { "a key configured by hash alone, encoded", Uri.EscapeDataString(HashOnlyKey).Replace("-", "%2D", StringComparison.Ordinal) },
    };

    [Theory]
    [MemberData(nameof(Disguises))]
    public void A_key_in_disguise_is_found(string disguise, string text) =>
        Assert.True(KeyLikeText.IsKeyLike(text, Directory()), disguise);

    [Theory]
    [InlineData("demo")]
    [InlineData("19643")]
    [InlineData("customers-2024 (eu)")]
    [InlineData("Kunden_ü_2024")]
    [InlineData("abcdefghijkl_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345abcdef")]   // a key's shape, but not its checksum
    public void Text_that_is_no_key_is_let_through(string text) =>
        Assert.False(KeyLikeText.IsKeyLike(text, Directory()));

    /// <summary>A caller directory with one key configured by its hash alone and one gateway key.</summary>
    internal static CallerDirectory Directory()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Callers:legacy:Keys:0:Sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(HashOnlyKey))),
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddLogging().AddLiveOptions();
        services.AddOptions<CallersOptions>().BindConfiguration(CallersOptions.SectionName);
        services.AddSingleton<CallerDirectory>();
        return services.BuildServiceProvider().GetRequiredService<CallerDirectory>();
    }
}
