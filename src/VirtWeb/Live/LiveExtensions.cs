namespace VirtWeb.Live;

public static class LiveExtensions
{
    public static IHostApplicationBuilder AddLive(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LiveStateStore>();
        return builder;
    }
}
