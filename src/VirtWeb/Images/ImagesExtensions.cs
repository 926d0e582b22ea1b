using VirtWeb.Hosts;

namespace VirtWeb.Images;

public static class ImagesExtensions
{
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<StorageWatcher>();
        builder.Services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<StorageWatcher>());
        builder.Services.AddSingleton<ImageService>();
        return builder;
    }
}
