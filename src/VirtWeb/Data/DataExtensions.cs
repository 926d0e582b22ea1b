using Microsoft.AspNetCore.DataProtection;
using Npgsql;

namespace VirtWeb.Data;

public static class DataExtensions
{
    public const string ConnectionStringName = "VirtWeb";
    public const string ConnectionStringKey = "ConnectionStrings:" + ConnectionStringName;

    public static IHostApplicationBuilder AddVirtWebData(this IHostApplicationBuilder builder)
    {
        var connectionString = ValidateConnectionString(builder.Configuration.GetConnectionString(ConnectionStringName));

        builder.Services.AddVirtWebDatabase(connectionString);
        builder.Services.AddDataProtection()
            .SetApplicationName("VirtWeb")
            .PersistKeysToDbContext<VirtWebDbContext>();
        builder.Services.AddHealthChecks()
            .AddCheck<DatabaseReadyHealthCheck>("database", tags: [DatabaseReadyHealthCheck.ReadyTag]);
        return builder;
    }

    /// <summary>The database alone, without key storage or health checks.</summary>
    public static IServiceCollection AddVirtWebDatabase(this IServiceCollection services, string connectionString) =>
        services.AddDbContextFactory<VirtWebDbContext>(options => options.UseNpgsql(
            connectionString,
            npgsql => npgsql.MigrationsAssembly(typeof(VirtWebDbContext).Assembly.GetName().Name)));

    internal static string ValidateConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new StartupValidationException(
                $"{ConnectionStringKey} is not set: give it a PostgreSQL connection string in appsettings.json " +
                "or the environment variable ConnectionStrings__VirtWeb (./run.sh sets it for its private cluster).");
        }

        NpgsqlConnectionStringBuilder parsed;
        try
        {
            parsed = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException e)
        {
            throw new StartupValidationException(
                $"{ConnectionStringKey} is not a valid PostgreSQL connection string ({e.Message}); " +
                "expected the form Host=...;Port=...;Database=...;Username=...;Password=...", e);
        }

        if (string.IsNullOrWhiteSpace(parsed.Host) || string.IsNullOrWhiteSpace(parsed.Database))
        {
            throw new StartupValidationException(
                $"{ConnectionStringKey} must name both Host and Database; it has Host='{parsed.Host}' and Database='{parsed.Database}'.");
        }

        return connectionString;
    }

    internal static string Describe(string connectionString)
    {
        var parsed = new NpgsqlConnectionStringBuilder(connectionString);
        return $"Host={parsed.Host};Port={parsed.Port};Database={parsed.Database};Username={parsed.Username}";
    }
}
