namespace VirtWeb.Snapshots;

public static class SnapshotsExtensions
{
    public static IHostApplicationBuilder AddSnapshots(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSnapshotsServices();
        return builder;
    }

    /// <summary>The snapshot services (nothing runs in the background: trees are read while a page watches them).</summary>
    public static IServiceCollection AddSnapshotsServices(this IServiceCollection services)
    {
        services.AddSingleton<SnapshotTrees>();
        services.AddSingleton<SnapshotMachineIds>();
        services.AddSingleton<SnapshotService>();
        return services;
    }
}
