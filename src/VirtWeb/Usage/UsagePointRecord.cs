using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace VirtWeb.Usage;

/// <summary>
/// One point of usage history: a guest's (or, with <see cref="GuestUuid"/> empty, its host's) usage over the
/// <see cref="Resolution"/> seconds starting at <see cref="Bucket"/>. A 10 s point is one sample and keeps only the
/// averages (its minimum and maximum are the same number; nulls cost no bytes in PostgreSQL); a rolled-up point keeps
/// the minimum, maximum and average of the points it summarises. Reals (4 bytes) keep the row small: charts need three
/// significant digits, not fifteen. Memory is in KiB, rates per second, CPU in % of the guest's vCPUs (host: of the host).
/// </summary>
public sealed class UsagePointRecord
{
    public Guid HostId { get; set; }

    public Guid GuestUuid { get; set; }

    public int Resolution { get; set; }

    public DateTimeOffset Bucket { get; set; }

    public float? Cpu { get; set; }
    public float? CpuMin { get; set; }
    public float? CpuMax { get; set; }

    public float? Memory { get; set; }
    public float? MemoryMin { get; set; }
    public float? MemoryMax { get; set; }

    public float? MemoryTotal { get; set; }

    public float? DiskRead { get; set; }
    public float? DiskReadMin { get; set; }
    public float? DiskReadMax { get; set; }

    public float? DiskWrite { get; set; }
    public float? DiskWriteMin { get; set; }
    public float? DiskWriteMax { get; set; }

    public float? DiskReadOps { get; set; }
    public float? DiskReadOpsMin { get; set; }
    public float? DiskReadOpsMax { get; set; }

    public float? DiskWriteOps { get; set; }
    public float? DiskWriteOpsMin { get; set; }
    public float? DiskWriteOpsMax { get; set; }

    public float? NetRx { get; set; }
    public float? NetRxMin { get; set; }
    public float? NetRxMax { get; set; }

    public float? NetTx { get; set; }
    public float? NetTxMin { get; set; }
    public float? NetTxMax { get; set; }
}

public sealed class UsagePointConfiguration : IEntityTypeConfiguration<UsagePointRecord>
{
    public void Configure(EntityTypeBuilder<UsagePointRecord> point)
    {
        point.ToTable("UsagePoints");
        point.HasKey(p => new { p.HostId, p.GuestUuid, p.Resolution, p.Bucket });
        // Retention and the rollups' watermark walk one resolution by time.
        point.HasIndex(p => new { p.Resolution, p.Bucket });
    }
}
