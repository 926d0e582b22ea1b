namespace VirtWeb.Templates;

public static class TemplatesExtensions
{
    public static IHostApplicationBuilder AddTemplates(this IHostApplicationBuilder builder)
    {
        builder.Services.AddTemplatesServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SeedCleanup>());
        return builder;
    }

    /// <summary>The templates' services, without the seed cleanup running.</summary>
    public static IServiceCollection AddTemplatesServices(this IServiceCollection services)
    {
        services.AddSingleton<OsPresets>();
        services.AddSingleton<TemplateService>();
        services.AddSingleton<TemplateDeployService>();
        services.AddSingleton<SeedCleanup>();
        services.AddSingleton<IIsoLabelReader, LibvirtIsoLabelReader>();
        services.AddSingleton<IsoOsDetection>();
        return services;
    }
}
