using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Libvirt;
using VirtWeb.Live;

namespace VirtWeb.UiBenchmarks;

/// <summary>
/// A bulk start from the guest list (select all shown, Start) of a test-driver world whose guests are all shut off:
/// how many render batches the page is sent from the click until every guest runs and the circuit is quiet.
/// </summary>
public sealed class BulkBench(KestrelVirtWebFactory app, GuestListBench list)
{
    private static readonly byte[] RenderBatch = Encoding.ASCII.GetBytes("JS.RenderBatch");

    public async Task<(int RenderBatches, int Frames, double Seconds)> RunAsync(Guid hostId, int guests)
    {
        var context = await list.SignedInContextAsync();
        var page = await context.NewPageAsync();
        var batches = 0;
        var frames = 0;
        var counting = false;
        var lastFrame = Stopwatch.GetTimestamp();
        page.WebSocket += (_, socket) =>
        {
            if (socket.Url.Contains("_blazor", StringComparison.Ordinal))
            {
                socket.FrameReceived += (_, frame) =>
                {
                    Interlocked.Exchange(ref lastFrame, Stopwatch.GetTimestamp());
                    if (Volatile.Read(ref counting))
                    {
                        Interlocked.Increment(ref frames);
                        Interlocked.Add(ref batches, Occurrences(frame.Binary ?? Encoding.UTF8.GetBytes(frame.Text ?? "")));
                    }
                };
            }
        };
        await page.GotoAsync("/guests");
        await page.Locator("[data-interactive=true]").WaitForAsync(new() { Timeout = 60_000 });
        await page.GetByLabel("Select all shown").CheckAsync();
        await page.GetByTestId("bulk-Start").WaitForAsync();
        var store = app.Services.GetRequiredService<LiveStateStore>();
        var clock = Stopwatch.StartNew();
        Volatile.Write(ref counting, true);
        await page.GetByTestId("bulk-Start").ClickAsync();
        while (store.Guests.Current(g => g.HostId == hostId && g.State == DomainState.Running).Count < guests)
        {
            if (clock.Elapsed > TimeSpan.FromMinutes(2))
            {
                throw new TimeoutException("The bulk start did not finish within 2 minutes.");
            }

            await Task.Delay(20);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        // The last rows' renders follow the store; the page is done once no frame came for half a second.
        while (Stopwatch.GetElapsedTime(Interlocked.Read(ref lastFrame)) < TimeSpan.FromMilliseconds(500))
        {
            await Task.Delay(50);
        }

        Volatile.Write(ref counting, false);
        await page.CloseAsync();
        return (Volatile.Read(ref batches), Volatile.Read(ref frames), seconds);
    }

    private static int Occurrences(byte[] frame)
    {
        var count = 0;
        for (var at = frame.AsSpan().IndexOf(RenderBatch); at >= 0;)
        {
            count++;
            var next = frame.AsSpan(at + RenderBatch.Length).IndexOf(RenderBatch);
            at = next < 0 ? -1 : at + RenderBatch.Length + next;
        }

        return count;
    }
}
