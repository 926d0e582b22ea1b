using Microsoft.Extensions.Options;

namespace VirtWeb.Hosts;

/// <summary>
/// A first run shows a working host: libvirt's test driver. The local QEMU is added the first time a libvirtd
/// answers. Each is added once only, so an Administrator who removes one does not see it come back.
/// </summary>
public sealed class DefaultHosts(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    IConnectionProbe probe,
    IOptions<HostsOptions> options,
    TimeProvider timeProvider,
    ILogger<DefaultHosts> logger)
{
    public const string DemoUri = "test:///default";
    public const string LocalQemuUri = "qemu:///system";
    public const string LocalLxcUri = "lxc:///";

    public async Task AddOnFirstRunAsync(CancellationToken cancellationToken)
    {
        if (options.Value.AddDemoHost)
        {
            await AddOnceAsync("Demo (libvirt test driver)", DemoUri, cancellationToken);
        }

        if (options.Value.AddLocalQemu)
        {
            await AddWhenItAnswersAsync("This machine (QEMU)", LocalQemuUri, cancellationToken);
        }

        // The same libvirtd's LXC driver: containers beside the VMs, when libvirt-daemon-driver-lxc is installed.
        if (options.Value.AddLocalLxc)
        {
            await AddWhenItAnswersAsync("This machine (containers)", LocalLxcUri, cancellationToken);
        }
    }

    private async Task AddWhenItAnswersAsync(string name, string uri, CancellationToken cancellationToken)
    {
        if (await WasAddedAsync(uri, cancellationToken))
        {
            return;
        }

        var local = await probe.ProbeAsync(uri, uri, cancellationToken);
        if (local.Succeeded)
        {
            await AddOnceAsync(name, uri, cancellationToken);
        }
        else
        {
            logger.LogInformation("No local libvirtd answered on {Uri} ({Message}); not adding it.", uri, local.Message);
        }
    }

    private static string MarkerKey(string uri) => $"hosts.default-added:{uri}";

    private async Task<bool> WasAddedAsync(string uri, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Settings.AnyAsync(s => s.Key == MarkerKey(uri), cancellationToken);
    }

    private async Task AddOnceAsync(string name, string uri, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await db.Settings.AnyAsync(s => s.Key == MarkerKey(uri), cancellationToken))
        {
            return;
        }

        if (!await db.Hosts.AnyAsync(h => h.NormalizedName == name.ToUpperInvariant(), cancellationToken))
        {
            db.Hosts.Add(new HostRecord
            {
                Id = Guid.NewGuid(),
                Name = name,
                NormalizedName = name.ToUpperInvariant(),
                Uri = uri,
                AddedBy = "VirtWeb",
                AddedAt = timeProvider.GetUtcNow(),
            });
        }

        db.Settings.Add(new SettingRecord { Key = MarkerKey(uri), Value = timeProvider.GetUtcNow().ToString("O") });
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Added the default host {Name} ({Uri}).", name, uri);
    }
}
