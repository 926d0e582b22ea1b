using System.Net.Sockets;
using Npgsql;

namespace VirtWeb.Data;

public static class DatabaseStartup
{
    /// <summary>
    /// Applies migrations and seeds roles and the first Administrator. A PostgreSQL that is down or refuses
    /// the credentials becomes a <see cref="StartupValidationException"/> naming the setting.
    /// </summary>
    public static async Task PrepareDatabaseAsync(this WebApplication app, CancellationToken cancellationToken = default)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var db = await scope.ServiceProvider.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync(cancellationToken);
        await using (db)
        {
            var target = DataExtensions.Describe(db.Database.GetConnectionString()!);
            try
            {
                await db.Database.MigrateAsync(cancellationToken);
            }
            catch (Exception e) when (IsUnreachable(e))
            {
                throw new StartupValidationException(
                    $"PostgreSQL named by {DataExtensions.ConnectionStringKey} ({target}) cannot be used: {Innermost(e).Message}. " +
                    "Start the server or correct the setting.", e);
            }
        }

        await scope.ServiceProvider.GetRequiredService<IdentitySeeder>().SeedAsync(cancellationToken);
    }

    private static bool IsUnreachable(Exception e) =>
        e is NpgsqlException or SocketException or TimeoutException || (e.InnerException is { } inner && IsUnreachable(inner));

    internal static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);
}
