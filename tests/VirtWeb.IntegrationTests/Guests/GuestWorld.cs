using System.Security;
using System.Text;

namespace VirtWeb.IntegrationTests.Guests;

/// <summary>
/// A private test-driver world in a file of <see cref="TestWorlds"/>: every connection to <c>test:///that-file</c> gets its own copy, so tests
/// that start, stop or delete guests never see each other's changes (test:///default is shared per process).
/// </summary>
public static class GuestWorld
{
    public const string RunningUuid = "11111111-0000-0000-0000-000000000001";
    public const string ShutOffUuid = "11111111-0000-0000-0000-000000000002";

    public static string Write(params (string Name, string Uuid, bool Running)[] guests)
    {
        var xml = new StringBuilder("""
            <?xml version="1.0"?>
            <node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
              <cpu><mhz>2400</mhz><model>i686</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>2</threads><active>8</active></cpu>
              <memory>8388608</memory>
            """);
        foreach (var (name, uuid, running) in guests)
        {
            xml.Append($"""
                  <domain type='test'>
                    <name>{SecurityElement.Escape(name)}</name>
                    <uuid>{uuid}</uuid>
                    <memory unit='MiB'>256</memory>
                    <vcpu>2</vcpu>
                    <os><type arch='i686'>hvm</type><boot dev='hd'/></os>
                    <devices>
                      <disk type='file' device='disk'><source file='/images/{SecurityElement.Escape(name)}.qcow2'/><target dev='vda' bus='virtio'/></disk>
                      <interface type='network'><source network='default'/></interface>
                    </devices>
                    {(running ? "" : "<test:runstate>5</test:runstate>")}
                  </domain>
                """);
        }

        xml.Append("""
              <pool type='dir'>
                <name>images</name>
                <uuid>aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee</uuid>
                <capacity unit='GiB'>100</capacity><allocation unit='GiB'>10</allocation><available unit='GiB'>90</available>
                <source/>
                <target><path>/images</path></target>
            """);
        foreach (var (name, _, _) in guests)
        {
            xml.Append($"""
                    <volume type='file'><name>{SecurityElement.Escape(name)}.qcow2</name><capacity unit='GiB'>1</capacity><allocation unit='MiB'>1</allocation><target><format type='qcow2'/></target></volume>
                """);
        }

        xml.Append("""
              </pool>
            </node>
            """);
        return TestWorlds.Write("guests", xml.ToString());
    }

    /// <summary>The usual two-guest world: "web" running and "db" shut off.</summary>
    public static string WriteDefault() => Write(("web", RunningUuid, true), ("db", ShutOffUuid, false));

    public static ClaimsPrincipal Principal(string role, string name = "someone") =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    public static ClaimsPrincipal Admin => Principal(Roles.Administrator, "root");

    /// <summary>Adds the machine's libvirtd (qemu:///system) as a host of its own and waits until it is connected.</summary>
    public static async Task<Guid> AddQemuHostAsync(VirtWebFactory factory)
    {
        var host = await factory.WithScopeAsync(services =>
            services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("qemu"), "qemu:///system")));
        var store = factory.Services.GetRequiredService<LiveStateStore>();
        await Eventually.ValueAsync(
            () => store.Hosts.Find(host.Id.ToString()),
            h => h.Connection == HostConnectionState.Connected,
            TimeSpan.FromSeconds(30),
            "qemu:///system connects (is libvirtd running?)");
        return host.Id;
    }

    /// <summary>Adds a host on a fresh private world and waits until its guests are in the store.</summary>
    public static async Task<Guid> AddPrivateHostAsync(VirtWebFactory factory, string? worldPath = null)
    {
        var path = worldPath ?? WriteDefault();
        var host = await factory.WithScopeAsync(services =>
            services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("guests"), $"test://{path}")));
        var store = factory.Services.GetRequiredService<LiveStateStore>();
        await Eventually.ValueAsync(
            () => store.Hosts.Find(host.Id.ToString()),
            h => h.Connection == HostConnectionState.Connected,
            TimeSpan.FromSeconds(30),
            "the private host connects");
        return host.Id;
    }
}
