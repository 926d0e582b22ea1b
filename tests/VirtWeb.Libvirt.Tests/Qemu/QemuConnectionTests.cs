using System.Diagnostics;

namespace VirtWeb.Libvirt.Tests.Qemu;

[Collection(QemuCollection.Name)]
public sealed class QemuConnectionTests
{
    [QemuFact]
    public async Task Closed_DaemonDropsTheClient_RaisesClosedWithReasonAndConnectionIsDead()
    {
        using var connection = QemuHost.Open();
        var closed = new TaskCompletionSource<ConnectionClosedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += (_, e) => closed.TrySetResult(e);
        Assert.True(connection.IsAlive);

        // The daemon's admin interface drops our client, as a daemon restart would.
        var ours = OwnClientIds();
        Assert.NotEmpty(ours);
        foreach (var id in ours)
        {
            VirtAdmin($"client-disconnect libvirtd {id}");
        }

        var args = await closed.Task.WaitAsync(EventWaiter.DefaultTimeout);
        Assert.Equal(ConnectionCloseReason.Eof, args.Reason);
        Assert.False(connection.IsAlive);
        Assert.Throws<LibvirtException>(() => connection.ListDomains());
    }

    [QemuFact]
    public async Task Dispose_OpenConnection_DoesNotRaiseClosedAndDropsTheClient()
    {
        var connection = QemuHost.Open();
        var raised = false;
        connection.Closed += (_, _) => raised = true;
        Assert.NotEmpty(OwnClientIds());

        connection.Dispose();

        // The daemon notices the socket closing asynchronously: wait for our client to disappear.
        using var deadline = new CancellationTokenSource(EventWaiter.DefaultTimeout);
        while (OwnClientIds().Count > 0)
        {
            await Task.Yield();
            deadline.Token.ThrowIfCancellationRequested();
        }
        Assert.False(raised);
    }

    /// <summary>The daemon's client ids whose peer is this test process.</summary>
    private static List<string> OwnClientIds()
    {
        var pid = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return VirtAdmin("srv-clients-list libvirtd")
            .Split('\n')
            .Select(line => line.Trim().Split(' ', 2)[0])
            .Where(id => id.Length > 0 && id.All(char.IsAsciiDigit))
            .Where(id => VirtAdmin($"client-info libvirtd {id}").Split('\n')
                .Any(line => line.StartsWith("unix_process_id", StringComparison.Ordinal) && line.Split(':')[1].Trim() == pid))
            .ToList();
    }

    private static string VirtAdmin(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("virt-admin", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        // A client can vanish between listing and asking about it; treat that as "not ours".
        return process.ExitCode == 0 ? output : arguments.StartsWith("client-info", StringComparison.Ordinal) ? string.Empty
            : throw new InvalidOperationException($"virt-admin {arguments} failed: {error}");
    }
}
