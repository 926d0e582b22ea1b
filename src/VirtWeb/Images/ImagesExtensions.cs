using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace VirtWeb.Images;

public static class ImagesExtensions
{
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PoolRootsOptions>()
            .Bind(builder.Configuration.GetSection(PoolRootsOptions.SectionName))
            .Validate(o => o.Effective.All(root => StorageRoots.RootProblem(root) is null),
                "Images:PoolRoots must list absolute directories other than '/', written without '.', '..' or '//'.")
            .ValidateOnStart();
        builder.Services.AddImagesServices();
        // Disk images arrive as request bodies of several GB; see LargeBlockMemoryPool for why Kestrel needs larger blocks.
        builder.Services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>());
        return builder;
    }

    /// <summary>The images' services, with the default storage roots unless AddImages binds the configured ones.</summary>
    public static IServiceCollection AddImagesServices(this IServiceCollection services)
    {
        services.AddOptions<PoolRootsOptions>();
        services.AddSingleton<StorageRoots>();
        services.AddSingleton<StorageWatcher>();
        services.AddSingleton<IHostWatcher>(sp => sp.GetRequiredService<StorageWatcher>());
        services.AddSingleton<ImageOperations>();
        services.AddSingleton<VolumeService>();
        services.AddSingleton<VolumeTransfers>();
        services.AddSingleton<PoolService>();
        return services;
    }
}
