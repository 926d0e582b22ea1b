namespace VirtWeb.Live;

public static class LiveExtensions
{
    public static IHostApplicationBuilder AddLive(this IHostApplicationBuilder builder)
    {
        builder.Services.AddLiveServices();
        builder.Services.AddSignalR();
        builder.Services.AddHostedService<LiveHubBroadcaster>();
        return builder;
    }

    /// <summary>The live store and who watches it on the hub, without the hub's background work.</summary>
    public static IServiceCollection AddLiveServices(this IServiceCollection services)
    {
        services.AddSingleton<LiveStateStore>();
        services.AddSingleton<LiveHubWatchers>();
        return services;
    }

    public static WebApplication MapLive(this WebApplication app)
    {
        app.MapHub<LiveHub>(LiveHub.Path);
        return app;
    }
}
