using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace VirtWeb.Data;

/// <summary>
/// Lets `dotnet ef migrations add` build the model without a database or the app's start-up checks;
/// the connection string is never opened when generating a migration.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<VirtWebDbContext>
{
    public VirtWebDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<VirtWebDbContext>()
            .UseNpgsql("Host=localhost;Database=virtweb_design")
            .Options);
}
