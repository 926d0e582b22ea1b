using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace VirtWeb.Data;

public sealed class VirtWebDbContext(DbContextOptions<VirtWebDbContext> options)
    : IdentityDbContext<ApplicationUser>(options), IDataProtectionKeyContext
{
    /// <summary>Cookie and antiforgery keys, shared by every VirtWeb instance and kept across restarts.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<HostRecord> Hosts => Set<HostRecord>();

    public DbSet<SettingRecord> Settings => Set<SettingRecord>();

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

        builder.Entity<SettingRecord>(setting =>
        {
            setting.ToTable("Settings");
            setting.HasKey(s => s.Key);
            setting.Property(s => s.Key).HasMaxLength(128);
        });
    }
}

public static class HostRecordLimits
{
    public const int NameLength = 64;
    public const int UriLength = 1024;
}
