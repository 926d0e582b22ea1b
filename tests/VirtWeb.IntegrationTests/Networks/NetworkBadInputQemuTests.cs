using System.Diagnostics;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Networks;
using Xunit.Abstractions;

namespace VirtWeb.IntegrationTests.Networks;

/// <summary>
/// Bad input on the machine's libvirtd: each refused with a message that names the problem, and nothing half-made, as
/// <c>virsh net-list --all</c> and <c>ip link</c> show before and after. libvirtd is shared with other test runs, so the
/// comparison covers what this input could have made: every line naming this test's prefixes (vwnet-, bridges vwn…) or
/// the input's own name; the whole lists go to the test output.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class NetworkBadInputQemuTests(VirtWebFactory factory, ITestOutputHelper output) : IntegrationTest(factory), IAsyncLifetime
{
    private readonly List<string> _networks = [];
    private readonly List<string> _guests = [];
    private Guid _hostId;

    public async Task InitializeAsync() => _hostId = await GuestWorld.AddQemuHostAsync(Factory);

    public Task DisposeAsync() => Task.Run(() =>
    {
        using (var connection = LibvirtConnection.Open("qemu:///system"))
        {
            foreach (var name in _guests)
            {
                try
                {
                    using var domain = connection.GetDomainByName(name);
                    domain.Undefine();
                }
                catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                {
                }
            }
        }

        NetworkWorld.RemoveQemuNetworks(_networks);
    });

    public static TheoryData<string, NetworkInput, string> BadInputs() => new()
    {
        { "slash", new NetworkInput("vwnet-a/b", NetworkMode.Isolated, "10.231.0.1/24", Bridge: "vwnbad0"), "contains '/'" },
        { "dots", new NetworkInput("..", NetworkMode.Isolated, "10.231.0.1/24", Bridge: "vwnbad0"), "contains '..'" },
        { "nul", new NetworkInput("vwnet-a\0b", NetworkMode.Isolated, "10.231.0.1/24", Bridge: "vwnbad0"), "NUL" },
        { "300 characters", new NetworkInput("vwnet-" + new string('n', 294), NetworkMode.Isolated, "10.231.0.1/24", Bridge: "vwnbad0"), "300 characters long" },
        { "bridge of 16", new NetworkInput("vwnet-bad-bridge", NetworkMode.Isolated, "10.231.0.1/24", Bridge: "vwnbridge0123456"), "at most 15" },
        { "malformed cidr", new NetworkInput("vwnet-bad-cidr", NetworkMode.Nat, "10.231.0/24", Bridge: "vwnbad0"), "is not an IPv4 network" },
        { "range outside", new NetworkInput("vwnet-bad-range", NetworkMode.Nat, "10.231.0.1/24", "10.231.0.10", "10.232.0.20", "vwnbad0"), "outside the network 10.231.0.0/24" },
        { "no such host bridge", new NetworkInput("vwnet-bad-lan", NetworkMode.Bridge, Bridge: "vwnnobr0"), "The host has no bridge named vwnnobr0" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Create_BadInputOnLibvirtd_RefusedWithReasonAndNetListAndIpLinkUnchanged(string why, NetworkInput input, string expected)
    {
        _networks.Add(input.Name);
        var before = await SnapshotAsync(input.Name);

        var refusal = await Assert.ThrowsAsync<NetworkException>(() => Service<NetworkService>().CreateAsync(TestPrincipals.Administrator, _hostId, input));

        output.WriteLine($"{why}: {refusal.Message}");
        Assert.True(refusal.Message.Contains(expected, StringComparison.Ordinal), $"{why}: {refusal.Message}");
        Assert.Equal(before, await SnapshotAsync(input.Name));
    }

    [Fact]
    public async Task AttachNic_MacUsedByAnotherCardOnLibvirtd_RefusedAndNothingAttached()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var network = $"vwnet-dup-{id}";
        _networks.Add(network);
        await Service<NetworkService>().CreateAsync(TestPrincipals.Administrator, _hostId, new NetworkInput(network, NetworkMode.Isolated, "10.232.7.1/24", Bridge: $"vwn{id}", Autostart: false));
        const string mac = "52:54:00:7e:0d:01";
        DefineGuest($"vwnet-dupa-{id}", network, mac);
        var other = DefineGuest($"vwnet-dupb-{id}", network, "52:54:00:7e:0d:02");
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(_hostId, other)), _ => true, Deadline, "the second guest is listed");
        var before = await SnapshotAsync(network);

        var refusal = await Assert.ThrowsAsync<GuestActionException>(() =>
            Service<NicService>().AttachNicAsync(TestPrincipals.Of("olga", Roles.Operator), _hostId, other, new NicInput(network, "virtio", mac.ToUpperInvariant())));

        output.WriteLine(refusal.Message);
        Assert.Contains($"The MAC {mac} is already used by a card on this host", refusal.Message);
        using (var domain = Connection(_hostId).GetDomainByUuid(other))
        {
            Assert.Equal(["52:54:00:7e:0d:02"], domain.GetDefinition(DomainXmlFlags.Inactive).Interfaces.Select(i => i.MacAddress));
        }

        Assert.Equal(before, await SnapshotAsync(network));
    }

    private Guid DefineGuest(string name, string network, string mac)
    {
        _guests.Add(name);
        using var domain = Connection(_hostId).DefineDomain($"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>64</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices><interface type='network'><mac address='{mac}'/><source network='{network}'/><model type='virtio'/></interface></devices>
            </domain>
            """);
        return domain.Uuid;
    }

    /// <summary>The lines of <c>virsh net-list --all</c> and <c>ip -o link</c> that this test's input could have made.</summary>
    private async Task<string> SnapshotAsync(string inputName)
    {
        var networks = await RunAsync("virsh", "-c", "qemu:///system", "net-list", "--all");
        var links = await RunAsync("ip", "-o", "link", "show");
        output.WriteLine($"virsh net-list --all:\n{networks}\nip -o link show:\n{links}");
        var visible = inputName.Replace("\0", "", StringComparison.Ordinal);
        return string.Join("\n", (networks + "\n" + links).Split('\n')
            .Where(line => line.Contains("vwn", StringComparison.Ordinal) || (visible.Length > 2 && line.Contains(visible, StringComparison.Ordinal)))
            // ip -o link prints counters nowhere, but a link's state may flap; the name and the kind of line are what count.
            .Select(line => line.Trim()));
    }

    private static async Task<string> RunAsync(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{file} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)} failed: {await stderr}");
        return await stdout;
    }
}
