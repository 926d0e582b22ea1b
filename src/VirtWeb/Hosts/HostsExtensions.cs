namespace VirtWeb.Hosts;

public static class HostsExtensions
{
    public static IHostApplicationBuilder AddHosts(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<HostsOptions>(builder.Configuration.GetSection(HostsOptions.SectionName));
        builder.Services.AddHostsServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HostConnections>());
        return builder;
    }

    /// <summary>The hosts' services, without the supervisors connecting.</summary>
    public static IServiceCollection AddHostsServices(this IServiceCollection services)
    {
        services.AddOptions<HostsOptions>();
        services.AddSingleton<HostUriPolicy>();
        VirtWeb.Cluster.ClusterExtensions.AddClusterServices(services);
        services.AddSingleton<IConnectionProbe, ConnectionProbe>();
        services.AddSingleton<DefaultHosts>();
        services.AddSingleton<HostConnections>();
        services.AddSingleton<IHostConnections>(sp => sp.GetRequiredService<HostConnections>());
        services.AddScoped<HostService>();
        return services;
    }
}
