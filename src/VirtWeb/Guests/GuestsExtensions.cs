using VirtWeb.Hosts;

namespace VirtWeb.Guests;

public static class GuestsExtensions
{
    public static IHostApplicationBuilder AddGuests(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GuestTimeline>();
        builder.Services.AddSingleton<GuestWatcher>();
        builder.Services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<GuestWatcher>());
        builder.Services.AddSingleton<DefinitionPolicy>();
        builder.Services.AddSingleton<GuestService>();
        builder.Services.AddSingleton<GuestAddressPoller>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<GuestAddressPoller>());
        builder.Services.AddSignalR();
        builder.Services.AddSingleton<LiveHubWatchers>();
        builder.Services.AddHostedService<LiveHubBroadcaster>();
        return builder;
    }

    public static WebApplication MapGuests(this WebApplication app)
    {
        app.MapHub<LiveHub>(LiveHub.Path);
        return app;
    }
}
