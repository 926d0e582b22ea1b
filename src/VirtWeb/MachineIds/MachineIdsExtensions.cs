namespace VirtWeb.MachineIds;

public static class MachineIdsExtensions
{
    public static IHostApplicationBuilder AddMachineIds(this IHostApplicationBuilder builder)
    {
        builder.Services.AddMachineIdsServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MachineIdCollector>());
        return builder;
    }

    /// <summary>The machine IDs' services, without the collector running.</summary>
    public static IServiceCollection AddMachineIdsServices(this IServiceCollection services)
    {
        services.AddSingleton<MachineIdRegistry>();
        services.AddSingleton<MachineIdService>();
        services.AddSingleton<MachineIdCollector>();
        return services;
    }
}
