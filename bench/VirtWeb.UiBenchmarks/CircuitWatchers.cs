using Microsoft.Playwright;
using VirtWeb.Guests;
using VirtWeb.Libvirt;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// The load bench's Blazor circuits: /guests open in Chromium pages of one signed-in context, each scrolled to its own
/// slice of the guests the run acts on and tall enough to draw all of them (the table is virtualized: a row off screen
/// is not in the page). A MutationObserver in each page records every drawn row's state text changes in the page's clock.
/// </summary>
public sealed class CircuitWatchers(GuestListBench list)
{
    /// <summary>The table's rows are this tall (its Virtualize ItemSize); the page around the table takes 290 px.</summary>
    private const int RowHeight = 49;

    private const string ObserverScript = """
        () => {
            const rows = () => {
                const seen = {};
                for (const row of document.querySelectorAll('[data-testid=guests-table] tbody tr')) {
                    const link = row.querySelector('[data-testid=guest-name]');
                    const state = row.querySelector('[data-testid=guest-state] .mud-chip');
                    if (link && state) {
                        seen[link.textContent.trim()] = state.textContent.trim();
                    }
                }
                return seen;
            };
            window.__vwl = { changes: [], last: rows() };
            new MutationObserver(() => {
                const at = performance.timeOrigin + performance.now();
                for (const [name, text] of Object.entries(rows())) {
                    if (window.__vwl.last[name] !== text) {
                        window.__vwl.last[name] = text;
                        window.__vwl.changes.push({ name, text, at });
                    }
                }
            }).observe(document.querySelector('[data-testid=guests-table]'), { subtree: true, childList: true, characterData: true });
        }
        """;

    private readonly List<(IPage Page, IReadOnlyList<string> Names)> _pages = [];

    public int Count => _pages.Count;

    /// <summary>Opens <paramref name="circuits"/> pages; page c draws guests c·slice … (c+1)·slice−1 of the first <paramref name="guests"/>.</summary>
    public async Task OpenAsync(int circuits, string prefix, int guests)
    {
        var slice = guests / circuits;
        var context = await list.SignedInContextAsync();
        for (var c = 0; c < circuits; c++)
        {
            var page = await context.NewPageAsync();
            await page.SetViewportSizeAsync(1600, 290 + ((slice + 3) * RowHeight));
            await page.GotoAsync("/guests");
            await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 120_000 });
            var names = Enumerable.Range(c * slice, slice).Select(i => GuestListBench.Name(prefix, i)).ToList();
            // The list sorts by name, so guest i is row i. Scrolled again until the slice is drawn: the table the circuit
            // renders may replace the prerendered one (and its scroll position) after the page reads as interactive.
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (await Drawn(page, names[0]) == 0 || await Drawn(page, names[^1]) == 0)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"Circuit {c} did not draw {names[0]} to {names[^1]} within 2 minutes.");
                }

                await page.EvaluateAsync("top => document.querySelector('[data-testid=guests-table] .mud-table-container').scrollTop = top", c * slice * RowHeight);
                await Task.Delay(250);
            }

            _pages.Add((page, names));
        }
    }

    private static Task<int> Drawn(IPage page, string name) =>
        page.Locator("[data-testid=guests-table] tbody tr [data-testid=guest-name]", new() { HasText = name }).CountAsync();

    /// <summary>A fresh observer in every page: what a run records starts here.</summary>
    public async Task MarkAsync()
    {
        foreach (var (page, _) in _pages)
        {
            await page.EvaluateAsync(ObserverScript);
        }
    }

    /// <summary>Waits until every page's slice reads <paramref name="state"/>.</summary>
    public async Task AwaitAsync(DomainState state, TimeSpan timeout)
    {
        var text = GuestText.State(state);
        var deadline = DateTime.UtcNow + timeout;
        foreach (var (page, names) in _pages)
        {
            while (await page.EvaluateAsync<int>("([names, text]) => names.filter(n => window.__vwl.last[n] === text).length", new object[] { names, text }) != names.Count)
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"A circuit's rows did not all read {text} within {timeout.TotalSeconds} s.");
                }

                await Task.Delay(50);
            }
        }
    }

    /// <summary>
    /// Each page's latency per target in its slice (the first change to the target's state after its t0); lost when no
    /// such change came; out of order when the row showed another state after it, before the next target of that guest.
    /// Mismatches: drawn rows whose text is not libvirt's state now (by name).
    /// </summary>
    public async Task<WatcherReport> ReportAsync(IReadOnlyList<LoadTarget> targets, IReadOnlyDictionary<string, DomainState> expectedByName)
    {
        var report = new WatcherReport([], 0, 0, 0);
        foreach (var (page, names) in _pages)
        {
            var changes = await page.EvaluateAsync<RowChange[]>("() => window.__vwl.changes");
            var drawn = await page.EvaluateAsync<Dictionary<string, string>>("() => window.__vwl.last");
            var mine = names.ToHashSet(StringComparer.Ordinal);
            foreach (var group in targets.Where(t => mine.Contains(t.Name)).GroupBy(t => t.Name))
            {
                var ordered = group.OrderBy(t => t.T0).ToList();
                var rowChanges = changes.Where(c => c.Name == group.Key).OrderBy(c => c.At).ToList();
                for (var i = 0; i < ordered.Count; i++)
                {
                    var (target, until) = (ordered[i], i + 1 < ordered.Count ? ordered[i + 1].T0 : double.MaxValue);
                    var text = GuestText.State(target.State);
                    var window = rowChanges.Where(c => c.At >= target.T0 && c.At < until).ToList();
                    var hit = window.FindIndex(c => c.Text == text);
                    if (hit < 0)
                    {
                        report = report with { Lost = report.Lost + 1 };
                        continue;
                    }

                    report.Latencies.Add(window[hit].At - target.T0);
                    report = report with { OutOfOrder = report.OutOfOrder + window.Skip(hit + 1).Count(c => c.Text != text) };
                }
            }

            report = report with
            {
                Mismatches = report.Mismatches + drawn.Count(row => !expectedByName.TryGetValue(row.Key, out var state) || GuestText.State(state) != row.Value),
            };
        }

        return report;
    }

    // Playwright fills results through a parameterless constructor and setters.
    public sealed class RowChange
    {
        public string Name { get; set; } = "";

        public string Text { get; set; } = "";

        public double At { get; set; }
    }
}
