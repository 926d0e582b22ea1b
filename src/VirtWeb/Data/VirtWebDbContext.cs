using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;

namespace VirtWeb.Data;

public sealed class VirtWebDbContext(DbContextOptions<VirtWebDbContext> options)
    : IdentityDbContext<ApplicationUser>(options), IDataProtectionKeyContext
{
    /// <summary>Cookie and antiforgery keys, shared by every VirtWeb instance and kept across restarts.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<HostRecord> Hosts => Set<HostRecord>();

    public DbSet<SettingRecord> Settings => Set<SettingRecord>();

    public DbSet<AuditRecord> AuditLog => Set<AuditRecord>();

    public DbSet<AccessGrantRecord> AccessGrants => Set<AccessGrantRecord>();
    public DbSet<MachineIdObservationRecord> MachineIdObservations => Set<MachineIdObservationRecord>();

    public DbSet<MachineIdCloneRecord> MachineIdClones => Set<MachineIdCloneRecord>();

    public DbSet<ApiTokenRecord> ApiTokens => Set<ApiTokenRecord>();

    public DbSet<VirtWeb.Usage.UsagePointRecord> UsagePoints => Set<VirtWeb.Usage.UsagePointRecord>();

    public DbSet<VirtWeb.Cluster.HostLeaseRecord> HostLeases => Set<VirtWeb.Cluster.HostLeaseRecord>();

    public DbSet<VirtWeb.Cluster.ClusterInstanceRecord> ClusterInstances => Set<VirtWeb.Cluster.ClusterInstanceRecord>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<HostRecord>(host =>
        {
            host.ToTable("Hosts");
            host.Property(h => h.Name).HasMaxLength(HostRecordLimits.NameLength);
            host.Property(h => h.NormalizedName).HasMaxLength(HostRecordLimits.NameLength);
            host.Property(h => h.Uri).HasMaxLength(HostRecordLimits.UriLength);
            host.Property(h => h.AddedBy).HasMaxLength(256);
            host.HasIndex(h => h.NormalizedName).IsUnique();
        });

        builder.Entity<AuditRecord>(audit =>
        {
            audit.ToTable("AuditLog");
            audit.Property(a => a.UserName).HasMaxLength(256);
            audit.Property(a => a.UserId).HasMaxLength(450);
            audit.Property(a => a.Action).HasMaxLength(64);
            audit.Property(a => a.Target).HasMaxLength(512);
            audit.Property(a => a.Outcome).HasConversion<string>().HasMaxLength(16);
            audit.Property(a => a.Detail).HasMaxLength(2048);
            audit.Property(a => a.RemoteAddress).HasMaxLength(64);
            audit.HasIndex(a => a.ApiTokenId);
            audit.HasIndex(a => a.At);
            audit.HasIndex(a => new { a.UserName, a.At });
            audit.HasIndex(a => new { a.Target, a.At });
        });

        builder.Entity<AccessGrantRecord>(grant =>
        {
            grant.ToTable("AccessGrants");
            grant.Property(g => g.UserId).HasMaxLength(450);
            grant.Property(g => g.Path).HasMaxLength(AccessPaths.MaxLength);
            grant.Property(g => g.Role).HasConversion<string>().HasMaxLength(16);
            grant.Property(g => g.GrantedBy).HasMaxLength(256);
            grant.HasIndex(g => new { g.UserId, g.Path }).IsUnique();
            grant.HasOne<ApplicationUser>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<MachineIdObservationRecord>(observation =>
        {
            observation.ToTable("MachineIdObservations");
            observation.Property(o => o.SubjectKey).HasMaxLength(128);
            observation.Property(o => o.SubjectKind).HasMaxLength(16);
            observation.Property(o => o.Name).HasMaxLength(256);
            observation.Property(o => o.Source).HasMaxLength(32);
            observation.Property(o => o.MachineId).HasMaxLength(32).IsFixedLength();
            observation.Property(o => o.Note).HasMaxLength(1024);
            observation.HasIndex(o => new { o.SubjectKey, o.Source, o.MachineId }).IsUnique();
            observation.HasIndex(o => o.MachineId);
        });

        builder.Entity<MachineIdCloneRecord>(clone =>
        {
            clone.ToTable("MachineIdClones");
            clone.Property(c => c.NewMachineId).HasMaxLength(32).IsFixedLength();
            clone.Property(c => c.SourceMachineId).HasMaxLength(32).IsFixedLength();
            clone.Property(c => c.State).HasMaxLength(16);
            clone.Property(c => c.Detail).HasMaxLength(1024);
            clone.HasIndex(c => c.CloneUuid);
        });

        builder.Entity<ApiTokenRecord>(token =>
        {
            token.ToTable("ApiTokens");
            token.Property(t => t.UserId).HasMaxLength(450);
            token.Property(t => t.Name).HasMaxLength(ApiTokenLimits.NameLength);
            token.Property(t => t.Prefix).HasMaxLength(64);
            token.Property(t => t.SecretHash).HasMaxLength(32);
            token.Property(t => t.RevokedBy).HasMaxLength(256);
            token.Property(t => t.Role).HasConversion<string>().HasMaxLength(16);
            token.Property(t => t.LastUsedFrom).HasMaxLength(64);
            token.HasIndex(t => t.UserId);
            token.HasOne<ApplicationUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        builder.Entity<SettingRecord>(setting =>
        {
            setting.ToTable("Settings");
            setting.HasKey(s => s.Key);
            setting.Property(s => s.Key).HasMaxLength(128);
        });

        builder.ApplyConfiguration(new VirtWeb.Usage.UsagePointConfiguration());
        VirtWeb.Cluster.ClusterConfiguration.Apply(builder);
    }
}

public static class ApiTokenLimits
{
    public const int NameLength = 64;
    public const int MaxPaths = 16;
}

public static class HostRecordLimits
{
    public const int NameLength = 64;
    public const int UriLength = 1024;
}
