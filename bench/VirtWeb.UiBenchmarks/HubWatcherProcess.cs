using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// The load bench's hub clients, in a process of their own so that their work (hundreds of connections parsing every
/// batch) is not counted as the app's memory and CPU. Started by <see cref="HubWatchers"/> as
/// <c>load-hub-watchers --url U --host H --clients N</c>; it signs in once, connects N clients to <c>/hubs/live</c>, each
/// calls <c>WatchHost</c> and keeps its own view of the host from the snapshot and every "GuestChanges" after it, then
/// answers commands on stdin, one a line:
/// <list type="bullet">
/// <item><c>mark</c>: forget the state changes recorded so far (a run starts).</item>
/// <item><c>await STATE COUNT MS</c>: wait until every client's view has COUNT guests in STATE (libvirt's number), at most MS.</item>
/// <item><c>report TARGETS EXPECTED OUT</c>: TARGETS lines are <c>key state t0</c> (an action's guest, the state it
/// leads to, when it was issued); EXPECTED lines are <c>key state</c> (libvirt's list now). OUT gets the process's CPU
/// seconds (<c>C s</c>), then per client a <c>W client outOfOrder mismatches lost</c> line and one <c>L ms</c> line per
/// target it saw.</item>
/// <item><c>quit</c>.</item>
/// </list>
/// Each command is answered with one line, "ok" or what went wrong. Times are Unix milliseconds, the clock the bench and
/// Chromium's pages read too.
/// </summary>
public static class HubWatcherProcess
{
    public const string Mode = "load-hub-watchers";

    public static async Task<int> RunAsync(string[] args)
    {
        var server = new Uri(Argument(args, "--url"));
        var hostId = Guid.Parse(Argument(args, "--host"));
        var count = int.Parse(Argument(args, "--clients"), CultureInfo.InvariantCulture);
        var cookies = await ApiListBench.SignInCookiesAsync(server);
        var watchers = new Watcher[count];
        // A few at a time: each WatchHost answer is the whole host (thousands of guests), and the server is the one measured.
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (i, _) =>
            watchers[i] = await Watcher.StartAsync(ApiListBench.HubConnection(server, cookies), hostId));
        Console.WriteLine("ready");
        try
        {
            while (await Console.In.ReadLineAsync() is { } line)
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                switch (parts)
                {
                    case ["mark"]:
                        Array.ForEach(watchers, w => w.Mark());
                        Console.WriteLine("ok");
                        break;
                    case ["await", var state, var expected, var milliseconds]:
                        Console.WriteLine(await AwaitAsync(watchers, int.Parse(state, CultureInfo.InvariantCulture), int.Parse(expected, CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(int.Parse(milliseconds, CultureInfo.InvariantCulture))));
                        break;
                    case ["report", var targets, var expectedFile, var output]:
                        await ReportAsync(watchers, targets, expectedFile, output);
                        Console.WriteLine("ok");
                        break;
                    case ["quit"]:
                        return 0;
                    default:
                        Console.WriteLine($"unknown command '{line}'");
                        break;
                }
            }

            return 0;
        }
        finally
        {
            await Task.WhenAll(watchers.Select(w => w.Connection.DisposeAsync().AsTask()));
        }
    }

    private static async Task<string> AwaitAsync(Watcher[] watchers, int state, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var behind = watchers.Count(w => w.CountIn(state) != expected);
            if (behind == 0)
            {
                return "ok";
            }

            if (DateTime.UtcNow > deadline)
            {
                return $"{behind} of {watchers.Length} clients do not show {expected} guests in state {state} after {timeout.TotalSeconds} s";
            }

            await Task.Delay(20);
        }
    }

    private static async Task ReportAsync(Watcher[] watchers, string targetsFile, string expectedFile, string output)
    {
        var targets = (await File.ReadAllLinesAsync(targetsFile)).Select(l => l.Split(' ')).Select(p =>
            (Key: p[0], State: int.Parse(p[1], CultureInfo.InvariantCulture), T0: double.Parse(p[2], CultureInfo.InvariantCulture))).ToList();
        var expected = (await File.ReadAllLinesAsync(expectedFile)).Select(l => l.Split(' '))
            .ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        await using var writer = new StreamWriter(output);
        // The clients' own CPU so far (connecting included): on a small machine they compete with the app they watch.
        await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"C {System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds:R}"));
        for (var i = 0; i < watchers.Length; i++)
        {
            var (outOfOrder, mismatches, latencies) = watchers[i].Report(targets, expected);
            await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"W {i} {outOfOrder} {mismatches} {targets.Count - latencies.Count}"));
            foreach (var latency in latencies)
            {
                await writer.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"L {latency:R}"));
            }
        }
    }

    private static string Argument(string[] args, string name) =>
        Array.IndexOf(args, name) is var index and >= 0 && index + 1 < args.Length ? args[index + 1] : throw new ArgumentException($"{Mode} needs {name}.");

    /// <summary>
    /// One client's view of the host: each guest's state and the version of the change that set it, and the state
    /// changes it saw since the last mark. A change with a lower version than the one before it for the same guest is out
    /// of order; it is applied all the same, as a client trusting the order would, so the final check catches its effect.
    /// </summary>
    private sealed class Watcher
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<string, (int State, bool Connected, long Version)> _view = new(StringComparer.Ordinal);
        private readonly int[] _counts = new int[16];
        private List<(string Key, int State, double At)> _changes = [];
        private int _outOfOrder;

        private Watcher(HubConnection connection) => Connection = connection;

        public HubConnection Connection { get; }

        public static async Task<Watcher> StartAsync(HubConnection connection, Guid hostId)
        {
            var watcher = new Watcher(connection);
            connection.On<JsonElement>("GuestChanges", watcher.Apply);
            await connection.StartAsync();
            var snapshot = await connection.InvokeAsync<JsonElement>("WatchHost", hostId);
            lock (watcher._lock)
            {
                foreach (var guest in snapshot.GetProperty("guests").EnumerateArray())
                {
                    // The snapshot carries no versions; a change in the join race (sent twice) then passes as in order.
                    var key = guest.GetProperty("key").GetString()!;
                    if (!watcher._view.ContainsKey(key))
                    {
                        watcher.Set(key, guest.GetProperty("state").GetInt32(), guest.GetProperty("hostConnected").GetBoolean(), 0);
                    }
                }
            }

            return watcher;
        }

        public int CountIn(int state)
        {
            lock (_lock)
            {
                return _counts[state];
            }
        }

        public void Mark()
        {
            lock (_lock)
            {
                _changes = [];
                _outOfOrder = 0;
            }
        }

        public (int OutOfOrder, int Mismatches, List<double> Latencies) Report(
            IReadOnlyList<(string Key, int State, double T0)> targets, IReadOnlyDictionary<string, int> expected)
        {
            lock (_lock)
            {
                var mismatches = expected.Count(e => !_view.TryGetValue(e.Key, out var seen) || seen.State != e.Value || !seen.Connected)
                    + _view.Keys.Count(k => !expected.ContainsKey(k));
                var firstAt = new Dictionary<(string, int), List<double>>();
                foreach (var (key, state, at) in _changes)
                {
                    (firstAt.TryGetValue((key, state), out var times) ? times : firstAt[(key, state)] = []).Add(at);
                }

                var latencies = new List<double>(targets.Count);
                foreach (var (key, state, t0) in targets)
                {
                    if (firstAt.TryGetValue((key, state), out var times) && times.FirstOrDefault(t => t >= t0, double.NaN) is var seen && !double.IsNaN(seen))
                    {
                        latencies.Add(seen - t0);
                    }
                }

                return (_outOfOrder, mismatches, latencies);
            }
        }

        private void Apply(JsonElement batch)
        {
            var at = GuestListBench.NowMs();
            lock (_lock)
            {
                foreach (var change in batch.EnumerateArray())
                {
                    var key = change.GetProperty("key").GetString()!;
                    var version = change.GetProperty("version").GetInt64();
                    var known = _view.TryGetValue(key, out var before);
                    if (known && version < before.Version)
                    {
                        _outOfOrder++;
                    }

                    if (change.GetProperty("kind").GetString() == "delete")
                    {
                        if (known)
                        {
                            _counts[before.State]--;
                            _view.Remove(key);
                        }

                        continue;
                    }

                    var item = change.GetProperty("item");
                    var state = item.GetProperty("state").GetInt32();
                    if (!known || before.State != state)
                    {
                        _changes.Add((key, state, at));
                    }

                    Set(key, state, item.GetProperty("hostConnected").GetBoolean(), version);
                }
            }
        }

        private void Set(string key, int state, bool connected, long version)
        {
            if (_view.TryGetValue(key, out var before))
            {
                _counts[before.State]--;
            }

            _view[key] = (state, connected, version);
            _counts[state]++;
        }
    }
}
