using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VirtWeb.Guests;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Live;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// Search as you type over the whole guest list: from the keydown in the search box to the count line and the first row
/// showing that keystroke's result, both read in the page's clock. The expected result comes from the store through the
/// list's own matcher, so the bench waits for the right rows, not just any change.
/// </summary>
public sealed class SearchBench(KestrelVirtWebFactory app, GuestListBench list)
{
    private const string Script = """
        () => {
            const input = document.querySelector('input[data-testid=guest-search], [data-testid=guest-search] input');
            window.__vs = { keyAt: 0, want: null, done: [] };
            input.addEventListener('keydown', () => { window.__vs.keyAt = performance.timeOrigin + performance.now(); }, true);
            const check = () => {
                const want = window.__vs.want;
                if (!want) {
                    return;
                }
                const count = document.querySelector('[data-testid=guest-count]')?.textContent.trim();
                const first = document.querySelector('[data-testid=guests-table] tbody tr [data-testid=guest-name]')?.textContent.trim() ?? '';
                if (count === want.count && first === want.first) {
                    window.__vs.done.push(performance.timeOrigin + performance.now() - window.__vs.keyAt);
                    window.__vs.want = null;
                }
            };
            new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
        }
        """;

    /// <summary>
    /// <paramref name="rounds"/> times: types four digits of a random guest's number, one key at a time, then deletes
    /// them one at a time; returns each keystroke's time to its rows, in milliseconds.
    /// </summary>
    public async Task<IReadOnlyList<double>> RunAsync(int rounds, int guests, int seed)
    {
        var context = await list.SignedInContextAsync();
        var page = await GuestListBench.OpenListAsync(context);
        var input = page.Locator("input[data-testid=guest-search], [data-testid=guest-search] input");
        await input.ClickAsync();
        await page.EvaluateAsync(Script);
        var random = new Random(seed);
        var latencies = new List<double>();
        var typed = "";
        var shown = Expected(typed);
        for (var round = 0; round < rounds; round++)
        {
            var digits = random.Next(guests).ToString("D4", System.Globalization.CultureInfo.InvariantCulture)[^4..];
            var keys = digits.Select(d => d.ToString()).Concat(Enumerable.Repeat("Backspace", digits.Length));
            foreach (var key in keys)
            {
                typed = key == "Backspace" ? typed[..^1] : typed + key;
                var want = Expected(typed);
                if (want == shown)
                {
                    // Nothing on the page changes for this key: it is typed, not timed.
                    await page.Keyboard.PressAsync(key);
                    await Task.Delay(300);
                    continue;
                }

                var done = await page.EvaluateAsync<int>("want => { window.__vs.want = want; return window.__vs.done.length; }", new { count = want.Count, first = want.First });
                await page.Keyboard.PressAsync(key);
                latencies.Add(await page.EvaluateAsync<double>("""
                    seen => new Promise((resolve, reject) => {
                        const until = Date.now() + 10000;
                        const check = () => window.__vs.done.length > seen ? resolve(window.__vs.done[seen])
                            : Date.now() > until ? reject(new Error('the search did not show its rows within 10 s')) : setTimeout(check, 5);
                        check();
                    })
                    """, done));
                shown = want;
            }
        }

        await page.CloseAsync();
        return latencies;
    }

    private (string Count, string First) Expected(string typed)
    {
        var all = app.Services.GetRequiredService<LiveStateStore>().Guests.Current();
        var search = new GuestSearch(typed);
        var matches = all.Where(search.Matches).OrderBy(g => g.Name, StringComparer.CurrentCultureIgnoreCase).ToList();
        return ($"{matches.Count} of {all.Count} guests", matches.FirstOrDefault()?.Name ?? "");
    }
}
