using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;
using VirtWeb.Consoles;

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

        builder.Services.AddSingleton(options);
        var connectionString = DataExtensions.ValidateConnectionString(builder.Configuration.GetConnectionString(DataExtensions.ConnectionStringName));
        builder.Services.AddSingleton(sp => new HostLeases(LeaseDataSource(connectionString, options), options.ResolvedInstanceId, options));
        builder.Services.AddSingleton(sp => new LeaseOwnership(
            sp.GetRequiredService<HostLeases>(), options, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LeaseOwnership>>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostOwnership>(sp => sp.GetRequiredService<LeaseOwnership>()));
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp => ConnectRedis(options));
        builder.Services.AddSingleton(sp => new LiveBus(
            sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<LiveStateStore>(), sp.GetRequiredService<IHostOwnership>(),
            sp.GetRequiredService<HostConnections>(), options, sp.GetRequiredService<ILogger<LiveBus>>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IClusterBus>(sp => sp.GetRequiredService<LiveBus>()));
        builder.Services.Replace(ServiceDescriptor.Singleton<IConsoleTicketStore, RedisConsoleTicketStore>());
        builder.Services.AddSingleton<AccessChangeBus>();
        builder.Services.Replace(ServiceDescriptor.Singleton<IAccessChanges>(sp => sp.GetRequiredService<AccessChangeBus>()));
        builder.Services.AddHostedService<AccessChangeListener>();
        builder.Services.AddHealthChecks().AddCheck<RedisReadyHealthCheck>("redis", tags: [DatabaseReadyHealthCheck.ReadyTag]);
        // First of the hosted services: it must hear the supervisors' first writes, which follow HostConnections' start.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<LiveBus>()));
        return builder;
    }

    /// <summary>One process alone: every host owned here. What the hosts' services need when AddCluster is not called.</summary>
    public static IServiceCollection AddClusterServices(this IServiceCollection services)
    {
        services.TryAddSingleton<IHostOwnership, LocalOwnership>();
        services.TryAddSingleton<IClusterBus, LocalBus>();
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

    /// <summary>
    /// Connects in the background: an instance starts (and serves the hosts it owns) with Redis down, and the
    /// multiplexer reconnects by itself when Redis is back.
    /// </summary>
    public static IConnectionMultiplexer ConnectRedis(ClusterOptions options)
    {
        var configuration = ConfigurationOptions.Parse(options.Redis!);
        configuration.AbortOnConnectFail = false;
        configuration.ClientName = Truncate($"virtweb-{options.ResolvedInstanceId}", 63).Replace(' ', '-');
        configuration.ConnectTimeout = 2000;
        configuration.SyncTimeout = 2000;
        configuration.AsyncTimeout = 2000;
        return ConnectionMultiplexer.Connect(configuration);
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text : text[..length];
}
