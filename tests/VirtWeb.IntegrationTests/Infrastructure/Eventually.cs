namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>Waits for a condition with a deadline instead of sleeping and hoping.</summary>
public static class Eventually
{
    public static async Task<T> ValueAsync<T>(Func<T?> read, Func<T, bool> done, TimeSpan deadline, string what)
        where T : class
    {
        using var timeout = new CancellationTokenSource(deadline);
        T? last = null;
        while (true)
        {
            last = read();
            if (last is not null && done(last))
            {
                return last;
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Within {deadline.TotalSeconds:0.#} s: {what}. Last seen: {last?.ToString() ?? "nothing"}");
            }
        }
    }
}
