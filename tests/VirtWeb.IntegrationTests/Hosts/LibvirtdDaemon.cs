using System.Diagnostics;

namespace VirtWeb.IntegrationTests.Hosts;

/// <summary>
/// Stops and starts the machine's real libvirtd, for the tests of <see cref="LibvirtdFaultCollection"/> only (they run
/// alone). A restart uses the command line the running daemon was started with: the scripts start it with the
/// project's own config (libvirtd -f), which lets the unprivileged VirtWeb user in; another command line would lock
/// every later non-root test out of qemu:///system.
/// </summary>
internal static class LibvirtdDaemon
{
    public const string SystemUri = "qemu:///system";

    private static string[] _commandLine = ["libvirtd", "-d"];

    /// <summary>The running daemon's processes, remembering its command line for <see cref="Start"/>.</summary>
    public static IReadOnlyList<Process> Processes()
    {
        var pids = Run("pidof", ["libvirtd"], allowFailure: false).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToList();
        Assert.NotEmpty(pids);
        _commandLine = File.ReadAllText($"/proc/{pids[0]}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
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

    /// <summary>Starts libvirtd as it ran before, unless one runs.</summary>
    public static void Start()
    {
        if (string.IsNullOrWhiteSpace(Run("pidof", ["libvirtd"], allowFailure: true)))
        {
            Run(_commandLine[0], _commandLine[1..], allowFailure: false);
        }
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
