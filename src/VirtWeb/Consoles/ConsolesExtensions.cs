using Microsoft.Extensions.DependencyInjection.Extensions;

namespace VirtWeb.Consoles;

public static class ConsolesExtensions
{
    public static IHostApplicationBuilder AddConsoles(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<ConsoleOptions>(builder.Configuration.GetSection(ConsoleOptions.SectionName));
        services.AddSignInSessionIds();
        services.AddConsolesServices();
        return builder;
    }

    /// <summary>The consoles' services, without the sign-in cookie's session id.</summary>
    public static IServiceCollection AddConsolesServices(this IServiceCollection services)
    {
        services.TryAddSingleton<IConsoleTicketStore, MemoryConsoleTicketStore>();
        services.AddSingleton<ConsoleTickets>();
        services.AddSingleton<ConsoleTargets>();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<ConsoleService>();
        services.AddSingleton<ConsoleProxy>();
        services.AddSingleton<IConsoleAccess, GrantConsoleAccess>();
        return services;
    }
}
