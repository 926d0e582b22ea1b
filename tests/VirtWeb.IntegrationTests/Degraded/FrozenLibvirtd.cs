using System.Diagnostics;

namespace VirtWeb.IntegrationTests.Degraded;

/// <summary>
/// Freezes the machine's libvirtd with SIGSTOP until disposed (SIGCONT). Only for tests of the libvirtd fault
/// collection, and only for a few seconds: other users of that daemon hang meanwhile.
/// </summary>
internal sealed class FrozenLibvirtd : IDisposable
{
    private readonly string[] _pids;

    private FrozenLibvirtd(string[] pids) => _pids = pids;

    public static FrozenLibvirtd Freeze()
    {
        var pids = Run("pidof", "libvirtd").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(pids);
        Run("kill", ["-STOP", .. pids]);
        return new FrozenLibvirtd(pids);
    }

    public void Dispose() => Run("kill", ["-CONT", .. _pids]);

    private static string Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? output.Trim()
            : throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {process.StandardError.ReadToEnd()}");
    }
}
