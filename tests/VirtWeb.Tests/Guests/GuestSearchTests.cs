namespace VirtWeb.Tests.Guests;

public sealed class GuestSearchTests
{
    private static readonly GuestState Web = new(
        Guid.NewGuid(), "Alpha-Host", Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), "Web-Frontend", DomainState.Running, "", 2,
        262144, 262144, VirtualizationMode.Hybrid, GuestKind.VirtualMachine, false, true, false, true, null, false, ["192.0.2.10", "fe80::1"]);

    [Theory]
    [InlineData("web")]
    [InlineData("FRONT")]
    [InlineData("alpha-h")]
    [InlineData("192.0.2.1")]
    [InlineData("FE80::")]
    [InlineData("3F2504E0")]
    [InlineData("  web  ")]
    [InlineData("")]
    [InlineData(null)]
    public void Matches_NameHostAddressOrUuidPrefix_IgnoringCase(string? text)
    {
        Assert.True(new GuestSearch(text).Matches(Web));
    }

    [Theory]
    [InlineData("4f89")]
    [InlineData("endalpha")]
    [InlineData("db")]
    public void Matches_UuidMiddleAcrossFieldsOrAbsent_DoesNotMatch(string text)
    {
        Assert.False(new GuestSearch(text).Matches(Web));
    }

    [Fact]
    public void Matches_GuestRenamed_MatchesTheNewNameOnly()
    {
        var search = new GuestSearch("web");
        Assert.True(search.Matches(Web));

        var renamed = Web with { Name = "shop" };

        Assert.False(search.Matches(renamed));
        Assert.True(new GuestSearch("shop").Matches(renamed));
    }
}
