using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VirtWeb.Hosts;

namespace VirtWeb.Images;

public static class ImagesExtensions
{
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<StorageWatcher>();
        builder.Services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<StorageWatcher>());
        builder.Services.AddSingleton<ImageService>();
        // Disk images arrive as request bodies of several GB; see LargeBlockMemoryPool for why Kestrel needs larger blocks.
        builder.Services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>());
        return builder;
    }
}
