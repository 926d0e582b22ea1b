using System.Text;
using VirtWeb.Libvirt.Xml;
using VirtWeb.TestGuest;

namespace VirtWeb.Libvirt.Tests.Qemu;

/// <summary>virDomainOpenGraphicsFD and virDomainOpenConsole against libvirtd + QEMU.</summary>
[Collection(QemuCollection.Name)]
public sealed class QemuConsoleTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    // A VNC password the test never gives the client: skipping auth must make it unnecessary.
    private static string PasswordVncXml(string name) => $"""
        <domain type='qemu'>
          <name>{name}</name>
          <memory unit='MiB'>64</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='pc'>hvm</type></os>
          <devices>
            <graphics type='vnc' port='-1' autoport='yes' listen='127.0.0.1' passwd='n0tForU!'/>
          </devices>
        </domain>
        """;

    [QemuFact]
    public async Task OpenGraphicsSocket_PasswordProtectedVnc_SkipAuthOffersNoneAndWithoutItAsksForPassword()
    {
        using var connection = QemuHost.Open();
        var name = QemuHost.UniqueName("vwcon-fd");
        using var domain = connection.DefineDomain(PasswordVncXml(name));
        try
        {
            domain.Start();

            Assert.Equal([1], await SecurityTypesAsync(domain, skipAuth: true));
            Assert.Equal([2], await SecurityTypesAsync(domain, skipAuth: false));
        }
        finally
        {
            Cleanup(connection, name);
        }
    }

    [QemuFact]
    public void OpenGraphicsSocket_StoppedGuest_ThrowsOperationInvalid()
    {
        using var connection = QemuHost.Open();
        var name = QemuHost.UniqueName("vwcon-off");
        using var domain = connection.DefineDomain(PasswordVncXml(name));
        try
        {
            var exception = Assert.Throws<LibvirtException>(() => domain.OpenGraphicsSocket());

            Assert.Equal(LibvirtErrorCode.OperationInvalid, exception.Code);
        }
        finally
        {
            Cleanup(connection, name);
        }
    }

    [QemuFact]
    public async Task OpenConsole_TinyGuest_ActivatesShellAndRunsCommand()
    {
        await using var guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwcon" });
        var serial = Assert.Single(ConsoleDevices.Parse(guest.Domain.GetXml()), d => d.Element == "serial");
        Assert.Equal("pty", serial.Type);
        using var timeout = new CancellationTokenSource(Deadline);
        using var console = guest.Domain.OpenConsole();
        var output = new StringBuilder();

        // busybox's "askfirst" waits for Enter before it starts the shell; the marker is computed by the guest's shell,
        // so finding it proves the command ran rather than that the terminal echoed it.
        await console.WriteAsync("\r"u8.ToArray(), timeout.Token);
        await ReadUntilAsync(console, output, "# ", timeout.Token);
        await console.WriteAsync("echo vwcon-$((6*7))\r"u8.ToArray(), timeout.Token);
        await ReadUntilAsync(console, output, "vwcon-42", timeout.Token);
    }

    [QemuFact]
    public async Task OpenConsole_GuestDestroyed_ReadEndsWithZero()
    {
        await using var guest = await TinyGuest.BootAsync(new TinyGuestOptions { NamePrefix = "vwcon" });
        using var timeout = new CancellationTokenSource(Deadline);
        using var console = guest.Domain.OpenConsole();

        guest.Domain.Destroy();

        var buffer = new byte[4096];
        int read;
        do
        {
            read = await console.ReadAsync(buffer, timeout.Token);
        }
        while (read > 0);
        Assert.Equal(0, read);
    }

    private static async Task ReadUntilAsync(LibvirtConsoleStream console, StringBuilder output, string marker, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (!output.ToString().Contains(marker, StringComparison.Ordinal))
        {
            var read = await console.ReadAsync(buffer, cancellationToken);
            Assert.True(read > 0, $"the console closed before '{marker}' appeared; it showed: {output}");
            output.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }
    }

    private static async Task<byte[]> SecurityTypesAsync(LibvirtDomain domain, bool skipAuth)
    {
        using var socket = domain.OpenGraphicsSocket(0, skipAuth);
        await using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: false);
        using var timeout = new CancellationTokenSource(Deadline);
        var version = new byte[12];
        await stream.ReadExactlyAsync(version, timeout.Token);
        Assert.Equal("RFB 003.008\n", Encoding.ASCII.GetString(version));
        await stream.WriteAsync("RFB 003.008\n"u8.ToArray(), timeout.Token);
        var count = new byte[1];
        await stream.ReadExactlyAsync(count, timeout.Token);
        var types = new byte[count[0]];
        await stream.ReadExactlyAsync(types, timeout.Token);
        return types;
    }

    private static void Cleanup(LibvirtConnection connection, string name)
    {
        try
        {
            using var domain = connection.GetDomainByName(name);
            if (domain.IsActive)
            {
                domain.Destroy();
            }
            domain.Undefine();
        }
        catch (LibvirtException exception) when (exception.Code == LibvirtErrorCode.NoDomain)
        {
        }
    }
}
