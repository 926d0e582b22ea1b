using System.Text.Json;
using StackExchange.Redis;
using VirtWeb.Consoles;

namespace VirtWeb.Cluster;

/// <summary>
/// Console tickets in Redis, so a ticket issued by one instance opens a console through any other. Each is a key
/// <c>{prefix}:ticket:{ticket}</c> with an expiry a little past the ticket's own; the take is one <c>GETDEL</c>,
/// atomic in Redis, so of two instances redeeming one ticket at the same moment only one gets it.
/// </summary>
public sealed class RedisConsoleTicketStore(IConnectionMultiplexer redis, ClusterOptions options) : IConsoleTicketStore
{
    // Past the ticket's own expiry, so that a late use reads Expired (checked on the ticket) rather than Unknown.
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(30);

    private RedisKey Key(string ticket) => $"{options.RedisPrefix}:ticket:{ticket}";

    public async Task PutAsync(string ticket, ConsoleTicket value, TimeSpan keepFor)
    {
        try
        {
            await redis.GetDatabase().StringSetAsync(Key(ticket), JsonSerializer.Serialize(value), keepFor + Margin);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new ConsoleUnavailableException("Consoles cannot be opened right now: the instances' shared store (Redis) is not answering. Try again in a moment.", e);
        }
    }

    public async Task<ConsoleTicket?> TakeAsync(string ticket)
    {
        var found = await redis.GetDatabase().StringGetDeleteAsync(Key(ticket));
        return found.IsNull ? null : JsonSerializer.Deserialize<ConsoleTicket>(found.ToString());
    }
}
