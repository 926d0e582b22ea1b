using System.Diagnostics;

namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>
/// A libvirtd of the test's own, so that freezing it stops nobody else: run as the unprivileged user nobody, it is a
/// session daemon whose socket, pid file, runtime, config and state all live in one temporary directory, and it loads
/// only the QEMU, storage and network drivers (LIBVIRT_DRIVER_DIR names a directory holding those alone), serving
/// qemu:///session.
/// VirtWeb reaches it through <see cref="HostsOptions.LocalSocket"/>. Disposing thaws and stops it and removes the
/// directory; only the process this class started is ever signalled.
/// </summary>
public sealed class PrivateLibvirtd : IDisposable
{
    private const string DriverDirectory = "/usr/lib/x86_64-linux-gnu/libvirt/connection-driver";

    // QEMU for the guests, storage and network because VirtWeb's watchers subscribe to their events.
    private static readonly string[] Drivers = ["libvirt_driver_qemu.so", "libvirt_driver_storage.so", "libvirt_driver_network.so"];

    private readonly string _directory;
    private readonly Process _daemon;

    private PrivateLibvirtd(string directory, Process daemon)
    {
        _directory = directory;
        _daemon = daemon;
    }

    /// <summary>The daemon's read-write socket.</summary>
    public string Socket => Path.Combine(_directory, "run", "libvirt", "libvirt-sock");

    /// <summary>The URI this process opens to reach the daemon directly.</summary>
    public string Uri => $"qemu+unix:///session?socket={System.Uri.EscapeDataString(Socket)}";

    public static PrivateLibvirtd Start()
    {
        var directory = Directory.CreateTempSubdirectory("vwdeg-libvirtd-").FullName;
        foreach (var sub in new[] { "drivers", "run", "home" })
        {
            Directory.CreateDirectory(Path.Combine(directory, sub));
        }

        foreach (var driver in Drivers)
        {
            File.CreateSymbolicLink(Path.Combine(directory, "drivers", driver), Path.Combine(DriverDirectory, driver));
        }

        Run("chown", "-R", "nobody:nogroup", directory);
        Run("chmod", "755", directory);
        var start = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
        foreach (var argument in new[]
                 {
                     "--reuid=nobody", "--regid=nogroup", "--clear-groups", "env", "-i", $"HOME={directory}/home", $"XDG_RUNTIME_DIR={directory}/run",
                     $"XDG_CONFIG_HOME={directory}/home/.config", $"XDG_CACHE_HOME={directory}/home/.cache", $"LIBVIRT_DRIVER_DIR={directory}/drivers",
                     "PATH=/usr/sbin:/usr/bin", "/usr/sbin/libvirtd", "--timeout", "0",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var daemon = Process.Start(start)!;
        daemon.OutputDataReceived += (_, _) => { };
        daemon.ErrorDataReceived += (_, _) => { };
        daemon.BeginOutputReadLine();
        daemon.BeginErrorReadLine();
        var libvirtd = new PrivateLibvirtd(directory, daemon);
        libvirtd.WaitAnswering();
        return libvirtd;
    }

    /// <summary>SIGSTOP to the daemon; the caller sends <see cref="Thaw"/> in a finally.</summary>
    public void Freeze() => Run("kill", "-STOP", Pid);

    public void Thaw() => Run("kill", "-CONT", Pid);

    public void Dispose()
    {
        try
        {
            Thaw();
            _daemon.Kill();
            _daemon.WaitForExit(15_000);
        }
        catch (InvalidOperationException)
        {
            // It has gone already.
        }
        finally
        {
            _daemon.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string Pid => _daemon.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private void WaitAnswering()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                using var connection = LibvirtConnection.Open(Uri);
                return;
            }
            catch (LibvirtException) when (DateTime.UtcNow < deadline && !_daemon.HasExited)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
        }
    }
}

/// <summary>The app with local URIs on a <see cref="PrivateLibvirtd"/> of its own, started with the app and stopped with it.</summary>
public sealed class PrivateLibvirtdFactory : VirtWebFactory
{
    public PrivateLibvirtd Daemon { get; } = PrivateLibvirtd.Start();

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Hosts:LocalSocket", Daemon.Socket);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Daemon.Dispose();
    }
}
