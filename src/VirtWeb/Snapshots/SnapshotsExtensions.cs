namespace VirtWeb.Snapshots;

public static class SnapshotsExtensions
{
    public static IHostApplicationBuilder AddSnapshots(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSnapshotsServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SnapshotRepairs>());
        return builder;
    }

    /// <summary>The snapshot services (trees are read while a page watches them; <see cref="SnapshotRepairs"/> runs in the background, added by <see cref="AddSnapshots"/>).</summary>
    public static IServiceCollection AddSnapshotsServices(this IServiceCollection services)
    {
        services.AddSingleton<SnapshotRepairs>();
        services.AddSingleton<SnapshotTrees>();
        services.AddSingleton<SnapshotMachineIds>();
        services.AddSingleton<SnapshotService>();
        return services;
    }
}
