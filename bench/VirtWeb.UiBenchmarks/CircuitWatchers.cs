using Microsoft.Playwright;
using VirtWeb.Guests;
using VirtWeb.Libvirt;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// The load bench's Blazor circuits: /guests open in Chromium pages of one signed-in context, each searching for its own
/// slice of the guests the run acts on and tall enough to draw all of them (the table is virtualized: a row off screen
/// is not in the page; a search, unlike a scroll, keeps the slice in place while rows are measured). A MutationObserver in each page records every drawn row's state text changes in the page's clock.
/// </summary>
public sealed class CircuitWatchers(GuestListBench list)
{
    /// <summary>The table's rows are about this tall (its Virtualize ItemSize); the page around the table takes 290 px.</summary>
    private const int RowHeight = 49;

    /// <summary>Guests per circuit: what one search term of a name's leading digits matches.</summary>
    private const int Slice = 100;

    /// <summary>The guests of its slice a circuit watches: Virtualize draws at most 100 rows (its MaxItemCount), overscan included.</summary>
    private const int Watched = 90;

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

    /// <summary>
    /// Opens <paramref name="circuits"/> pages, each searching for one hundred of the first <paramref name="guests"/>
    /// ("load-001" is guests 100 to 199), in turn, and watching the first <see cref="Watched"/> of them: with 10 circuits
    /// and 500 guests, 90 of every hundred guests are on two screens.
    /// </summary>
    public async Task OpenAsync(int circuits, string prefix, int guests)
    {
        if (guests % Slice != 0 || guests > 100 * Slice)
        {
            throw new ArgumentException($"The circuits watch guests a hundred at a time: --bulk must be a multiple of {Slice}, at most {100 * Slice}.");
        }

        var context = await list.SignedInContextAsync();
        for (var c = 0; c < circuits; c++)
        {
            var first = c % (guests / Slice) * Slice;
            var names = Enumerable.Range(first, Watched).Select(i => GuestListBench.Name(prefix, i)).ToList();
            var page = await context.NewPageAsync();
            // A third taller than the slice: rows come out a little taller than the table's estimate.
            await page.SetViewportSizeAsync(1600, 290 + (Slice * RowHeight * 4 / 3));
            await page.GotoAsync("/guests");
            await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 120_000 });
            await page.GetByTestId("guest-search").FillAsync(names[0][..^2]);
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (await Drawn(page, names[0]) == 0 || await Drawn(page, names[^1]) == 0)
            {
                if (DateTime.UtcNow > deadline)
                {
                    var drawn = await page.Locator("[data-testid=guests-table] tbody tr [data-testid=guest-name]").AllTextContentsAsync();
                    throw new TimeoutException($"Circuit {c} did not draw {names[0]} to {names[^1]} within 2 minutes; it draws {drawn.Count} rows: {string.Join(", ", drawn.Take(3))} … {string.Join(", ", drawn.TakeLast(3))}.");
                }

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
                    var rows = await page.EvaluateAsync<Dictionary<string, string>>("() => window.__vwl.last");
                    var wrong = names.Where(n => !rows.TryGetValue(n, out var t) || t != text).Select(n => $"{n}: {rows.GetValueOrDefault(n) ?? "not drawn"}").ToList();
                    throw new TimeoutException($"Circuit {_pages.FindIndex(p => p.Page == page)}'s rows did not all read {text} within {timeout.TotalSeconds} s: {wrong.Count} do not ({string.Join(", ", wrong.Take(5))}).");
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
