using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace VirtWeb.Cluster;

/// <summary>
/// Who owns one host's supervisor, until when in the database's clock. Only the lease statements in
/// <see cref="HostLeases"/> write it; the row outlives owners (a release only moves the expiry), so the epoch never
/// goes back for a host.
/// </summary>
public sealed class HostLeaseRecord
{
    public Guid HostId { get; set; }

    public required string Owner { get; set; }

    /// <summary>The fencing token: drawn from one cluster-wide sequence at every acquisition, so it only rises.</summary>
    public long Epoch { get; set; }

    public DateTimeOffset AcquiredAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>The owner's highest live-state version at its last renewal; the next owner checks it starts above.</summary>
    public long HighestVersion { get; set; }
}

/// <summary>A running instance's heartbeat: the live instances are those whose row has not expired.</summary>
public sealed class ClusterInstanceRecord
{
    public required string InstanceId { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset HeartbeatAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }
}

public sealed class ClusterConfiguration : IEntityTypeConfiguration<HostLeaseRecord>, IEntityTypeConfiguration<ClusterInstanceRecord>
{
    public const string EpochSequence = "HostLeaseEpochs";

    public void Configure(EntityTypeBuilder<HostLeaseRecord> lease)
    {
        lease.ToTable("HostLeases");
        lease.HasKey(l => l.HostId);
        lease.Property(l => l.Owner).HasMaxLength(ClusterLimits.InstanceIdLength);
        // A removed host takes its lease with it; its owner's next renewal misses the row and stops the supervisor.
        lease.HasOne<HostRecord>().WithOne().HasForeignKey<HostLeaseRecord>(l => l.HostId).OnDelete(DeleteBehavior.Cascade);
        lease.HasIndex(l => l.Owner);
    }

    public void Configure(EntityTypeBuilder<ClusterInstanceRecord> instance)
    {
        instance.ToTable("ClusterInstances");
        instance.HasKey(i => i.InstanceId);
        instance.Property(i => i.InstanceId).HasMaxLength(ClusterLimits.InstanceIdLength);
    }

    public static void Apply(ModelBuilder builder)
    {
        var configuration = new ClusterConfiguration();
        builder.HasSequence<long>(EpochSequence);
        builder.ApplyConfiguration<HostLeaseRecord>(configuration);
        builder.ApplyConfiguration<ClusterInstanceRecord>(configuration);
    }
}
