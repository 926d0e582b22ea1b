using System.Threading.Channels;

namespace VirtWeb.Guests;

/// <summary>
/// Guests waiting to be read through their agent, each with how many reads of it came before, worked off a few at a time
/// so that one slow agent does not hold up the others, and never on the libvirt event thread.
/// </summary>
internal sealed class GuestReadQueue(int parallelism)
{
    private readonly Channel<(string Key, int Attempt)> _requests = Channel.CreateUnbounded<(string, int)>();

    public void Add(string guestKey, int attempt = 0) => _requests.Writer.TryWrite((guestKey, attempt));

    /// <summary>Runs <paramref name="read"/> for every guest added, until <paramref name="stoppingToken"/> stops it.</summary>
    public async Task WorkAsync(Func<string, int, CancellationToken, Task> read, CancellationToken stoppingToken)
    {
        try
        {
            await Parallel.ForEachAsync(
                _requests.Reader.ReadAllAsync(stoppingToken),
                new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = stoppingToken },
                async (request, token) => await read(request.Key, request.Attempt, token));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
