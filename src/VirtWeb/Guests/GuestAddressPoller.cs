using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace VirtWeb.Guests;

/// <summary>
/// Fills <see cref="GuestState.Addresses"/> from the QEMU guest agent (<c>guest-network-get-interfaces</c>). A guest is
/// asked when its agent connects (seen as <see cref="GuestState.HasAgent"/> turning true on a running guest), again a
/// few times while it has no address yet (the agent often starts before DHCP has answered), and on a slow poll that
/// runs only while a page showing guests is open (<see cref="Look"/>): with nobody looking, no guest is asked.
/// </summary>
public sealed class GuestAddressPoller(
    LiveStateStore store,
    IServiceProvider services,
    TimeProvider timeProvider,
    ILogger<GuestAddressPoller> logger) : BackgroundService
{
    /// <summary>How often addresses are re-read while someone is looking.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(30);

    /// <summary>Delays of the follow-up reads after the agent connected and reported no address yet.</summary>
    public static readonly TimeSpan[] FollowUps = [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(20)];

    // Short: an agent that does not answer in time is asked again on the next poll, and must not hold up the others.
    private const int AgentTimeoutSeconds = 3;
    private const string Command = """{"execute":"guest-network-get-interfaces"}""";

    private readonly GuestReadQueue _requests = new(parallelism: 4);
    private readonly Lock _lock = new();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly PollLoop _poll = new(PollInterval);
    private int _lookers;

    /// <summary>How many pages are looking at guests now; the slow poll runs only while this is above zero.</summary>
    public int Lookers => Volatile.Read(ref _lookers);

    /// <summary>A page showing guests calls this while it is open and disposes the result when it closes.</summary>
    public IDisposable Look()
    {
        if (Interlocked.Increment(ref _lookers) == 1)
        {
            // Nobody looked until now: what is shown may be old, so read at once instead of at the next tick.
            _poll.Wake();
        }

        return new Looking(this);
    }

    /// <summary>Asks for one guest's addresses soon, following up while it has none (deduplicated while a request waits).</summary>
    public void Refresh(string key) => Enqueue(key, 0);

    /// <summary>
    /// The addresses in an agent reply, loopback and link-local left out (they say nothing about where the guest is),
    /// IPv4 before IPv6, without duplicates.
    /// </summary>
    public static IReadOnlyList<string> ParseAddresses(string reply)
    {
        using var document = JsonDocument.Parse(reply);
        if (!document.RootElement.TryGetProperty("return", out var interfaces) || interfaces.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var addresses = new List<IPAddress>();
        foreach (var nic in interfaces.EnumerateArray())
        {
            if (!nic.TryGetProperty("ip-addresses", out var ips) || ips.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var ip in ips.EnumerateArray())
            {
                if (ip.TryGetProperty("ip-address", out var text) && IPAddress.TryParse(text.GetString(), out var address)
                    && !IPAddress.IsLoopback(address) && !address.IsIPv6LinkLocal && !addresses.Contains(address))
                {
                    addresses.Add(address);
                }
            }
        }

        return addresses
            .OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1)
            .Select(a => a.ToString())
            .ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watch = WatchAgentsAsync(stoppingToken);
        var poll = PollAsync(stoppingToken);
        await _requests.WorkAsync(ReadAsync, stoppingToken);
        await Task.WhenAll(watch, poll);
    }

    /// <summary>Turns "agent connected on a running guest" into a refresh, from the same live changes the pages get.</summary>
    private Task WatchAgentsAsync(CancellationToken stoppingToken) => GuestAgentWatch.WatchAsync(store, Askable, Refresh, stoppingToken);

    // Woken early when the first page opens; otherwise once per interval.
    private Task PollAsync(CancellationToken stoppingToken) => _poll.RunAsync(_ =>
    {
        if (Lookers > 0)
        {
            foreach (var guest in store.Guests.Current(Askable))
            {
                // A guest without an address on a poll (no NIC, no DHCP) is asked again next time, not followed up.
                Enqueue(guest.Key, FollowUps.Length);
            }
        }

        return Task.CompletedTask;
    }, stoppingToken);

    private static bool Askable(GuestState guest) => guest is { HostConnected: true, HasAgent: true } && guest.IsActive;

    private void Enqueue(string key, int attempt)
    {
        lock (_lock)
        {
            if (!_queued.Add(key))
            {
                return;
            }
        }

        _requests.Add(key, attempt);
    }

    private async Task ReadAsync(string key, int attempt, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _queued.Remove(key);
        }

        if (store.Guests.Find(key) is not { } guest || !Askable(guest))
        {
            return;
        }

        IReadOnlyList<string> addresses;
        try
        {
            var connection = services.GetRequiredService<IHostConnections>().GetConnection(guest.HostId);
            addresses = await Task.Run(() =>
            {
                using var domain = connection.GetDomainByUuid(guest.Uuid);
                return ParseAddresses(domain.QemuAgentCommand(Command, AgentTimeoutSeconds));
            }, cancellationToken);
        }
        catch (Exception e) when (e is LibvirtException or HostUnavailableException or JsonException or ObjectDisposedException)
        {
            // An agent that is busy, gone or says something odd keeps what was last shown; the next read tries again.
            logger.LogDebug("Reading {Guest}'s addresses from its agent failed: {Message}", guest.Name, e.Message);
            addresses = guest.Addresses;
        }

        store.Guests.Update(key, current =>
            Askable(current) && !current.Addresses.SequenceEqual(addresses, StringComparer.Ordinal) ? current with { Addresses = addresses } : null);

        if (addresses.Count == 0 && attempt < FollowUps.Length)
        {
            _ = FollowUpAsync(key, attempt, cancellationToken);
        }
    }

    private async Task FollowUpAsync(string key, int attempt, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(FollowUps[attempt], timeProvider, cancellationToken);
            Enqueue(key, attempt + 1);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private sealed class Looking(GuestAddressPoller poller) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref poller._lookers);
            }
        }
    }
}
