namespace VirtWeb.Guests;

public static class GuestsExtensions
{
    public static IHostApplicationBuilder AddGuests(this IHostApplicationBuilder builder)
    {
        builder.Services.AddGuestsServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GuestAddressPoller>());
        return builder;
    }

    /// <summary>The guests' services, without the address poller running.</summary>
    public static IServiceCollection AddGuestsServices(this IServiceCollection services)
    {
        services.AddSingleton<GuestTimeline>();
        services.AddSingleton<GuestWatcher>();
        services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<GuestWatcher>());
        services.AddSingleton<DefinitionPolicy>();
        services.AddSingleton<GuestActionLock>();
        services.AddSingleton<HostLanes>();
        services.AddSingleton<GuestService>();
        services.AddSingleton<GuestCreationService>();
        services.AddSingleton<GuestCloningService>();
        services.AddSingleton<GuestAddressPoller>();
        services.AddSingleton<VirtWeb.Containers.ContainerCreationService>();
        services.AddSingleton<VirtWeb.Containers.GuestKernels>();
        services.AddOptions<VirtWeb.Containers.ContainerOptions>().BindConfiguration(VirtWeb.Containers.ContainerOptions.SectionName);
        return services;
    }
}
