namespace VirtWeb.Hosts;

public static class HostsExtensions
{
    public static IHostApplicationBuilder AddHosts(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<HostsOptions>(builder.Configuration.GetSection(HostsOptions.SectionName));
        builder.Services.AddHostsServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HostSupervisors>());
        return builder;
    }

    /// <summary>The hosts' services, without the supervisors connecting.</summary>
    public static IServiceCollection AddHostsServices(this IServiceCollection services)
    {
        services.AddSingleton<IConnectionProbe, ConnectionProbe>();
        services.AddSingleton<DefaultHosts>();
        services.AddSingleton<HostSupervisors>();
        services.AddSingleton<IHostSupervisors>(sp => sp.GetRequiredService<HostSupervisors>());
        services.AddScoped<HostService>();
        return services;
    }
}
