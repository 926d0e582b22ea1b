namespace VirtWeb.Guests;

public static class GuestsExtensions
{
    public static IHostApplicationBuilder AddGuests(this IHostApplicationBuilder builder)
    {
        return builder;
    }
}
