using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace VirtWeb.Cluster;

public static class ClusterExtensions
{
    /// <summary>
    /// Alone (the default) every host is owned here, as always; with <c>Cluster:Enabled</c> ownership comes from
    /// leases in the app's PostgreSQL database.
    /// </summary>
    public static IHostApplicationBuilder AddCluster(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(ClusterOptions.SectionName).Get<ClusterOptions>() ?? new ClusterOptions();
        if (options.Problem() is { } problem)
        {
            throw new StartupValidationException(problem);
        }

        builder.Services.AddSingleton(Options.Create(options));
        if (!options.Enabled)
        {
            builder.Services.AddClusterServices();
            return builder;
        }

        var connectionString = DataExtensions.ValidateConnectionString(builder.Configuration.GetConnectionString(DataExtensions.ConnectionStringName));
        builder.Services.AddSingleton(sp => new HostLeases(LeaseDataSource(connectionString, options), options.ResolvedInstanceId, options));
        builder.Services.AddSingleton(sp => new LeaseOwnership(
            sp.GetRequiredService<HostLeases>(), options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeaseOwnership>>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostOwnership>(sp => sp.GetRequiredService<LeaseOwnership>()));
        return builder;
    }

    /// <summary>One process alone: every host owned here. What the hosts' services need when AddCluster is not called.</summary>
    public static IServiceCollection AddClusterServices(this IServiceCollection services)
    {
        services.TryAddSingleton<IHostOwnership, LocalOwnership>();
        return services;
    }

    /// <summary>
    /// The lease statements' own pool: an open that hangs on a cut network gives up within the statement timeout,
    /// and no page's query can hold the connection a renewal needs.
    /// </summary>
    public static NpgsqlDataSource LeaseDataSource(string connectionString, ClusterOptions options) =>
        new NpgsqlDataSourceBuilder(new NpgsqlConnectionStringBuilder(connectionString)
        {
            Timeout = Math.Max(1, (int)Math.Ceiling(options.StatementTimeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(options.StatementTimeout.TotalSeconds)),
            CancellationTimeout = 500,
            MaxPoolSize = 4,
            KeepAlive = 1,
            ApplicationName = Truncate($"VirtWeb leases {options.ResolvedInstanceId}", 63),
        }.ConnectionString).Build();

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
