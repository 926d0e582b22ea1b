using MudBlazor.Services;

namespace VirtWeb.Components;

public static class ComponentsExtensions
{
    public static IHostApplicationBuilder AddVirtWebComponents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddComponentsServices();
        return builder;
    }

    /// <summary>What every page renders with (MudBlazor, the clock), without the Blazor server itself.</summary>
    public static IServiceCollection AddComponentsServices(this IServiceCollection services, Action<MudServicesConfiguration>? configureMud = null)
    {
        services.AddMudServices(configureMud ?? (_ => { }));
        services.AddSingleton(TimeProvider.System);
        return services;
    }
}
