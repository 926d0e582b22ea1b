namespace VirtWeb.Tests.Guests;

public sealed class GuestAddressPollerTests : GuestListPageTest
{
    [Fact]
    public void ParseAddresses_AgentReply_RoutableAddressesIpv4First()
    {
        const string reply = """
            {"return":[
              {"name":"lo","hardware-address":"00:00:00:00:00:00","ip-addresses":[{"ip-address-type":"ipv4","ip-address":"127.0.0.1","prefix":8},{"ip-address-type":"ipv6","ip-address":"::1","prefix":128}]},
              {"name":"eth0","hardware-address":"52:54:00:12:34:56","ip-addresses":[
                {"ip-address-type":"ipv6","ip-address":"fec0::5054:ff:fe12:3456","prefix":64},
                {"ip-address-type":"ipv6","ip-address":"fe80::5054:ff:fe12:3456","prefix":64},
                {"ip-address-type":"ipv4","ip-address":"10.0.2.15","prefix":24}]},
              {"name":"eth1","hardware-address":"52:54:00:12:34:57"}
            ]}
            """;

        Assert.Equal(["10.0.2.15", "fec0::5054:ff:fe12:3456"], GuestAddressPoller.ParseAddresses(reply));
        Assert.Empty(GuestAddressPoller.ParseAddresses("""{"return":{}}"""));
    }

    [Fact]
    public async Task GuestList_OpenThenClosed_CountsAsLookingOnlyWhileOpen()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var poller = Context.Services.GetRequiredService<GuestAddressPoller>();

        var page = RenderList();
        Assert.Equal(1, poller.Lookers);

        await page.Instance.DisposeAsync();
        Assert.Equal(0, poller.Lookers);
    }
}
