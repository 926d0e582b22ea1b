using VirtWeb.Hosts;

namespace VirtWeb.Networks;

public static class NetworksExtensions
{
    public static IHostApplicationBuilder AddNetworks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddNetworksServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeasePoller>());
        return builder;
    }

    /// <summary>The networks' services, without the lease poller running.</summary>
    public static IServiceCollection AddNetworksServices(this IServiceCollection services)
    {
        services.AddSingleton<NetworkWatcher>();
        services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<NetworkWatcher>());
        services.AddSingleton<IGuestReadListener>(sp => sp.GetRequiredService<NetworkWatcher>());
        services.AddSingleton<NetworkOperations>();
        services.AddSingleton<NetworkService>();
        services.AddSingleton<NicService>();
        services.AddSingleton<HostReadiness>();
        services.AddSingleton<LeasePoller>();
        return services;
    }
}
