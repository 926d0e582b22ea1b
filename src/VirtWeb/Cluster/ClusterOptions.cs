namespace VirtWeb.Cluster;

/// <summary>
/// The <c>Cluster:</c> settings. Off by default: one process owns every host, as it always did, and nothing here
/// touches the database or needs Redis.
/// </summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Cluster";

    /// <summary>Several instances share the database; each host is owned by one of them at a time (a lease).</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// The Redis every instance shares (StackExchange.Redis form: <c>host:port,password=...</c>): the bus for live
    /// state, console tickets and access changes. Required when <see cref="Enabled"/>.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>The prefix of every Redis key and channel, so that two clusters can share one Redis.</summary>
    public string RedisPrefix { get; set; } = "virtweb";

    /// <summary>This instance's name in the lease tables; unset, the machine name and process id.</summary>
    public string? InstanceId { get; set; }

    /// <summary>How long a lease (and an instance's heartbeat) lasts in the database after a renewal.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(8);

    /// <summary>How often an instance renews its leases, heartbeats and looks for hosts to take.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How much faster this machine's clock may run than the database's over one lease: the owner gives a lease up
    /// this much before it could expire in the database.
    /// </summary>
    public TimeSpan ClockDriftAllowance { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long before its own deadline an owner starts stopping a host's supervisor.</summary>
    public TimeSpan StopAllowance { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long one lease statement may take before it counts as failed.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The time an owner has between its last renewal's send and the moment it must have stopped.</summary>
    public TimeSpan OwnedFor => LeaseDuration - ClockDriftAllowance;

    /// <summary>The problem with these settings, or null; the app refuses to start on one.</summary>
    public string? Problem()
    {
        if (!Enabled)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(Redis))
        {
            return "Cluster:Redis is not set: several instances share live state, console tickets and access changes through Redis. " +
                "Set it to the Redis every instance uses (host:port,password=...), or set Cluster:Enabled to false for one instance alone.";
        }

        try
        {
            StackExchange.Redis.ConfigurationOptions.Parse(Redis);
        }
        catch (ArgumentException e)
        {
            return $"Cluster:Redis is not a Redis connection string ({e.Message}); write it as host:port,password=...";
        }

        if (string.IsNullOrWhiteSpace(RedisPrefix) || RedisPrefix.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            return "Cluster:RedisPrefix must be a non-empty word without spaces; leave it unset for \"virtweb\".";
        }

        if (InstanceId is { } id && (id.Length is 0 or > ClusterLimits.InstanceIdLength || id.Any(char.IsControl)))
        {
            return $"Cluster:InstanceId must be 1 to {ClusterLimits.InstanceIdLength} printable characters; leave it unset for the machine name and process id.";
        }

        if (RenewInterval <= TimeSpan.Zero || ClockDriftAllowance < TimeSpan.Zero || StopAllowance < TimeSpan.Zero || StatementTimeout < TimeSpan.FromSeconds(1))
        {
            return "Cluster:RenewInterval must be positive, Cluster:ClockDriftAllowance and Cluster:StopAllowance not negative, Cluster:StatementTimeout at least 1 s.";
        }

        // Two renewals must fit before an owner starts stopping, or one slow statement costs it every host.
        if (OwnedFor - StopAllowance < 2 * RenewInterval)
        {
            return $"Cluster:LeaseDuration ({LeaseDuration}) must exceed Cluster:ClockDriftAllowance + Cluster:StopAllowance + 2 x Cluster:RenewInterval " +
                $"({ClockDriftAllowance + StopAllowance + 2 * RenewInterval}); raise it or lower the others.";
        }

        return null;
    }

    public string ResolvedInstanceId => InstanceId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
}

public static class ClusterLimits
{
    public const int InstanceIdLength = 128;
}
