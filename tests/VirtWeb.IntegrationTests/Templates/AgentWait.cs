using System.Diagnostics;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>Waits for a deployed QEMU guest: agent errors while it boots or reboots count as "not yet", not as failures.</summary>
internal static class AgentWait
{
    /// <summary>Reads until <paramref name="done"/> holds, or throws naming <paramref name="what"/> and the last value seen.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> read, Func<T, bool> done, TimeSpan deadline, string what)
    {
        var clock = Stopwatch.StartNew();
        var last = "nothing yet";
        while (clock.Elapsed < deadline)
        {
            try
            {
                if (await read() is { } value)
                {
                    if (done(value))
                    {
                        return value;
                    }

                    last = value.ToString() ?? "";
                }
            }
            catch (Exception e) when (e is LibvirtException or InvalidOperationException or KeyNotFoundException)
            {
                last = e.Message;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        throw new TimeoutException($"within {deadline.TotalSeconds} s: {what}; last seen: {last}");
    }
}
