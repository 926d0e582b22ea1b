namespace VirtWeb.Hosts;

public static class HostsExtensions
{
    public static IHostApplicationBuilder AddHosts(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<HostsOptions>(builder.Configuration.GetSection(HostsOptions.SectionName));
        builder.Services.AddSingleton<HostUriPolicy>();
        builder.Services.AddSingleton<IConnectionProbe, ConnectionProbe>();
        builder.Services.AddSingleton<DefaultHosts>();
        builder.Services.AddSingleton<HostSupervisors>();
        builder.Services.AddSingleton<IHostSupervisors>(sp => sp.GetRequiredService<HostSupervisors>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<HostSupervisors>());
        builder.Services.AddScoped<HostService>();
        return builder;
    }
}
