namespace VirtWeb.Libvirt.Tests.Support;

/// <summary>
/// A test against the real libvirtd + QEMU (qemu:///system). It runs, and fails loudly if libvirtd is
/// not reachable, unless VIRTWEB_SKIP_QEMU=1 asks to skip it.
/// </summary>
public sealed class QemuFactAttribute : FactAttribute
{
    public QemuFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("VIRTWEB_SKIP_QEMU") == "1")
        {
            Skip = "VIRTWEB_SKIP_QEMU=1: the qemu:///system tests are skipped.";
        }
    }
}

internal static class QemuHost
{
    /// <summary>qemu:///system unless VIRTWEB_QEMU_URI points elsewhere (e.g. another daemon's socket).</summary>
    public static string Uri { get; } = Environment.GetEnvironmentVariable("VIRTWEB_QEMU_URI") is { Length: > 0 } uri ? uri : "qemu:///system";

    public static LibvirtConnection Open()
    {
        try
        {
            return LibvirtConnection.Open(Uri);
        }
        catch (LibvirtException exception)
        {
            throw new InvalidOperationException(
                $"libvirtd is not reachable at {Uri} ({exception.Message}). Start it with 'virtlogd -d && libvirtd -d', " +
                "or set VIRTWEB_SKIP_QEMU=1 to skip the QEMU tests.", exception);
        }
    }

    /// <summary>A name no other test run uses, so leftovers of a crashed run never collide.</summary>
    public static string UniqueName(string prefix) => $"virtweb-test-{prefix}-{Guid.NewGuid():N}"[..40];
}
