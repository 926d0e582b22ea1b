using System.Diagnostics;
using System.Globalization;
using VirtWeb.Libvirt;

namespace VirtWeb.UiBenchmarks;

/// <summary>One action's guest for the watchers to see: its key, the state the action leads to, and when it was issued.</summary>
public sealed record LoadTarget(string Key, string Name, DomainState State, double T0);

/// <summary>What a set of watchers saw of a run: every latency they measured and what they got wrong.</summary>
public sealed record WatcherReport(List<double> Latencies, int Lost, int OutOfOrder, int Mismatches, double CpuSeconds = 0);

/// <summary>The bench's side of <see cref="HubWatcherProcess"/>: starts it, sends it commands, reads its report.</summary>
public sealed class HubWatchers : IAsyncDisposable
{
    private readonly Process _process;
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("virtweb-load-");

    private HubWatchers(Process process, int clients)
    {
        _process = process;
        Clients = clients;
    }

    public int Clients { get; }

    public static async Task<HubWatchers> StartAsync(Uri server, Guid hostId, int clients)
    {
        // The bench's own program again, run by the same host it runs on (its apphost, or dotnet with the dll).
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(HubWatchers).Assembly.Location);
        }

        foreach (var argument in new[] { HubWatcherProcess.Mode, "--url", server.ToString(), "--host", hostId.ToString(), "--clients", $"{clients}" })
        {
            start.ArgumentList.Add(argument);
        }

        var watchers = new HubWatchers(Process.Start(start)!, clients);
        await watchers.ExpectAsync("ready", TimeSpan.FromMinutes(15));
        return watchers;
    }

    public Task MarkAsync() => CommandAsync("mark", TimeSpan.FromMinutes(1));

    /// <summary>Waits until every client shows <paramref name="count"/> guests in <paramref name="state"/>.</summary>
    public Task AwaitAsync(DomainState state, int count, TimeSpan timeout) =>
        CommandAsync($"await {(int)state} {count} {(int)timeout.TotalMilliseconds}", timeout + TimeSpan.FromMinutes(1));

    public async Task<WatcherReport> ReportAsync(IReadOnlyList<LoadTarget> targets, IReadOnlyDictionary<string, DomainState> expected)
    {
        var targetsFile = Path.Combine(_directory.FullName, "targets");
        var expectedFile = Path.Combine(_directory.FullName, "expected");
        var output = Path.Combine(_directory.FullName, "report");
        await File.WriteAllLinesAsync(targetsFile, targets.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {(int)t.State} {t.T0:R}")));
        await File.WriteAllLinesAsync(expectedFile, expected.Select(e => $"{e.Key} {(int)e.Value}"));
        await CommandAsync($"report {targetsFile} {expectedFile} {output}", TimeSpan.FromMinutes(10));
        var report = new WatcherReport([], 0, 0, 0);
        foreach (var line in File.ReadLines(output))
        {
            var parts = line.Split(' ');
            if (parts[0] == "L")
            {
                report.Latencies.Add(double.Parse(parts[1], CultureInfo.InvariantCulture));
            }
            else if (parts[0] == "C")
            {
                report = report with { CpuSeconds = double.Parse(parts[1], CultureInfo.InvariantCulture) };
            }
            else
            {
                report = report with
                {
                    OutOfOrder = report.OutOfOrder + int.Parse(parts[2], CultureInfo.InvariantCulture),
                    Mismatches = report.Mismatches + int.Parse(parts[3], CultureInfo.InvariantCulture),
                    Lost = report.Lost + int.Parse(parts[4], CultureInfo.InvariantCulture),
                };
            }
        }

        return report;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                await _process.StandardInput.WriteLineAsync("quit");
                await _process.StandardInput.FlushAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                await _process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            _process.Kill();
        }

        _process.Dispose();
        _directory.Delete(recursive: true);
    }

    private async Task CommandAsync(string command, TimeSpan timeout)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        await ExpectAsync("ok", timeout);
    }

    private async Task ExpectAsync(string expected, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        var line = await _process.StandardOutput.ReadLineAsync(cancellation.Token);
        if (line != expected)
        {
            throw new InvalidOperationException($"The hub clients answered '{line ?? "(they exited)"}' where '{expected}' was due.");
        }
    }
}
