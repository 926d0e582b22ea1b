using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Usage;

namespace VirtWeb.UiBenchmarks;

/// <summary>What one app (sampling on or off) measured: each run's event-to-screen latencies, and the sampling rounds that fell inside them.</summary>
public sealed record SamplingLatencyRuns(bool Sampling, IReadOnlyList<IReadOnlyList<double>> Runs, IReadOnlyList<long> RoundsDuring);

/// <summary>
/// Issue 18's last bench line: the guest list's event-to-screen latency at <c>--guests</c> guests with sampling on and
/// with it off (Usage:Enabled). Each setting gets an app of its own (the sampler is a hosted service, fixed at start)
/// on the same kind of world; with sampling on, the measuring starts only once the first full round is in, so the
/// sampler's 10 s rounds (2,500 running guests, their history written) and its 2 s rounds of the rows on screen run
/// during the changes.
/// </summary>
public static class UsageLatencyBench
{
    public static async Task<SamplingLatencyRuns> RunAsync(IBrowser browser, bool sampling, int guests, int changes, int runs)
    {
        // The app reads its configuration from the environment when it starts (as the api mode's rate limit).
        Environment.SetEnvironmentVariable("Usage__Enabled", sampling ? "true" : "false");
        var app = new KestrelVirtWebFactory();
        await app.InitializeAsync();
        try
        {
            await using var bench = new GuestListBench(app, browser);
            var world = GuestListBench.WriteWorld(sampling ? "on" : "off", guests);
            var host = await bench.AddWorldAsync(world, guests);
            var name = GuestListBench.Name(sampling ? "on" : "off", 0);
            var live = app.Services.GetRequiredService<UsageLive>();
            if (sampling)
            {
                // Every other guest runs: wait for the first full round's usage of all of them.
                var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
                while (live.Guests.Current(u => u.HostId == host).Count < guests / 2)
                {
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException("The sampler did not report the world's running guests within 2 minutes.");
                    }

                    await Task.Delay(200);
                }
            }
            else if (live.Guests.Current().Count > 0)
            {
                throw new InvalidOperationException("Sampling is off, yet usage arrived: Usage:Enabled did not reach the app.");
            }

            var sampler = app.Services.GetRequiredService<UsageSampler>();
            await bench.LatencyAsync(host, name, 20); // warm-up: JIT, circuit, Chromium caches
            var results = new List<IReadOnlyList<double>>();
            var rounds = new List<long>();
            for (var run = 0; run < runs; run++)
            {
                var before = sampler.Activity;
                results.Add(await bench.LatencyAsync(host, name, changes));
                rounds.Add((sampler.Activity - before) / 2); // two steps per round (UsageSampler.Activity)
            }

            File.Delete(world);
            return new(sampling, results, rounds);
        }
        finally
        {
            Environment.SetEnvironmentVariable("Usage__Enabled", null);
            await ((Xunit.IAsyncLifetime)app).DisposeAsync();
        }
    }
}
