namespace VirtWeb.Usage;

public static class UsageExtensions
{
    public static IHostApplicationBuilder AddUsage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddUsageServices();
        builder.Services.Configure<UsageOptions>(builder.Configuration.GetSection("Usage"));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UsageSampler>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<UsageMaintenance>());
        return builder;
    }

    /// <summary>The usage services, without the sampler and the roll-ups running.</summary>
    public static IServiceCollection AddUsageServices(this IServiceCollection services)
    {
        services.AddOptions<UsageOptions>();
        services.AddSingleton<UsageLive>();
        services.AddSingleton<UsageWatch>();
        services.AddSingleton<UsageHistory>();
        services.AddSingleton<UsageQueries>();
        services.AddSingleton<UsageSampler>();
        services.AddSingleton<UsageMaintenance>();
        return services;
    }
}
