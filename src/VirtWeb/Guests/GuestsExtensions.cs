using VirtWeb.Hosts;

namespace VirtWeb.Guests;

public static class GuestsExtensions
{
    public static IHostApplicationBuilder AddGuests(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GuestTimeline>();
        builder.Services.AddSingleton<GuestWatcher>();
        builder.Services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<GuestWatcher>());
        return builder;
    }
}
