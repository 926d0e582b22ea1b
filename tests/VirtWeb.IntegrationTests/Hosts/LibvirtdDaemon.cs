using System.Diagnostics;

namespace VirtWeb.IntegrationTests.Hosts;

/// <summary>
/// Stops and starts the machine's real libvirtd, for the tests of <see cref="LibvirtdFaultCollection"/> only (they run
/// alone). A restart goes through the scripts' own start_libvirtd: they start libvirtd with the project's own config
/// (libvirtd -f), which lets the unprivileged VirtWeb user in, and on a hybrid cgroup layout inside a mount namespace
/// of its own, without which lxc:/// cannot start a container. The killed process's command line carries neither the
/// namespace nor the way to make it.
/// </summary>
internal static class LibvirtdDaemon
{
    public const string SystemUri = "qemu:///system";

    private static readonly string CommonScript = FindCommonScript();

    /// <summary>The running daemon's processes.</summary>
    public static IReadOnlyList<Process> Processes()
    {
        var pids = Run("pidof", ["libvirtd"], allowFailure: false).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.NotEmpty(pids);
        return pids.Select(Process.GetProcessById).ToList();
    }

    /// <summary>Sends SIGTERM and waits until every libvirtd process has gone.</summary>
    public static async Task StopAsync()
    {
        var pids = Processes().Select(p => p.Id).ToList();
        Run("kill", ["-TERM", .. pids.Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture))], allowFailure: false);
        await WaitGoneAsync(pids);
    }

    /// <summary>Waits until the processes <paramref name="pids"/> have gone (after a kill).</summary>
    public static async Task WaitGoneAsync(IEnumerable<int> pids)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (pids.Any(p => Directory.Exists($"/proc/{p}")))
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    /// <summary>Starts libvirtd the way the scripts do, unless one runs.</summary>
    public static void Start()
    {
        if (string.IsNullOrWhiteSpace(Run("pidof", ["libvirtd"], allowFailure: true)))
        {
            Run("bash", ["-c", "source \"$0\" && start_libvirtd", CommonScript], allowFailure: false);
        }
    }

    private static string FindCommonScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "scripts", "common.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        throw new InvalidOperationException($"scripts/common.sh not found above {AppContext.BaseDirectory}");
    }

    /// <summary><see cref="Start"/>, then waits until qemu:///system answers.</summary>
    public static async Task StartAndWaitAsync()
    {
        Start();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            try
            {
                using var probe = LibvirtConnection.Open(SystemUri);
                return;
            }
            catch (LibvirtException)
            {
                await Task.Delay(100, deadline.Token);
            }
        }
    }

    private static string Run(string file, string[] arguments, bool allowFailure)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
        }

        return output.Trim();
    }
}
