using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace VirtWeb.Cluster;

/// <summary>
/// Part of <c>/readyz</c> with several instances: Redis answers. While it does not, this instance still serves the
/// hosts it owns, but other instances' live state, console tickets and access changes do not reach it.
/// </summary>
public sealed class RedisReadyHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        const string down = "Redis (Cluster:Redis) does not answer: other instances' live state, console tickets and access changes are held up.";
        if (!redis.IsConnected)
        {
            return HealthCheckResult.Unhealthy(down);
        }

        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy(down, e);
        }
    }
}
