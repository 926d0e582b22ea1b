using System.Threading.Channels;
using StackExchange.Redis;

namespace VirtWeb.Cluster;

/// <summary>
/// Access changes across instances: the instance where a role, a disabled account or a grant changed publishes its
/// id on <c>{prefix}:access</c>; every other instance reads roles and grants again at once, which refilters its open
/// pages as a change made there would (open consoles keep their own re-check against the database). A message lost
/// while Redis is away is covered by each instance's periodic re-read (<see cref="AccessControl.ReloadInterval"/>).
/// </summary>
public sealed class AccessChangeBus(IConnectionMultiplexer redis, ClusterOptions options, ILogger<AccessChangeBus> logger) : IAccessChanges
{
    public RedisChannel Channel => RedisChannel.Literal($"{options.RedisPrefix}:access");

    public async Task PublishAsync()
    {
        try
        {
            await redis.GetSubscriber().PublishAsync(Channel, options.ResolvedInstanceId);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Redis could not be told of an access change; other instances apply it at their next periodic re-read (within {Interval}).", AccessControl.ReloadInterval);
        }
    }
}

/// <summary>Reads access again when another instance says it changed; several messages in a row cost one re-read.</summary>
public sealed class AccessChangeListener(
    IConnectionMultiplexer redis, AccessChangeBus bus, AccessControl access, ClusterOptions options, ILogger<AccessChangeListener> logger) : BackgroundService
{
    private readonly Channel<bool> _pending = System.Threading.Channels.Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetSubscriber().SubscribeAsync(bus.Channel, (_, sender) =>
            {
                if (sender != options.ResolvedInstanceId)
                {
                    _pending.Writer.TryWrite(true);
                }
            });
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The multiplexer subscribes again by itself once Redis answers; meanwhile the periodic re-read holds.
            logger.LogWarning(e, "Could not subscribe to access changes on Redis; until it answers, other instances' changes apply within {Interval}.", AccessControl.ReloadInterval);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var _ in _pending.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await access.ReloadAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    logger.LogWarning(e, "Reading access again after another instance's change failed; the periodic re-read tries again.");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
