namespace VirtWeb.IntegrationTests.Images;

[Collection(AppCollection.Name)]
public sealed class StorageWatcherTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task DemoHost_DefaultPool_IsListedLiveWithSizes()
    {
        var demo = await Eventually.ValueAsync(
            () => Store.Hosts.Current().FirstOrDefault(h => h.Uri == DefaultHosts.DemoUri && h.Connection == HostConnectionState.Connected),
            _ => true, Deadline, "the demo host connects");

        var pool = await Eventually.ValueAsync(
            () => Store.Pools.Current(p => p.HostId == demo.HostId).FirstOrDefault(),
            _ => true, Deadline, "the demo host's pool is listed");

        Assert.Equal("dir", pool.Type);
        Assert.Equal(StoragePoolState.Running, pool.State);
        Assert.True(pool.CapacityBytes > 0);
        Assert.Equal(demo.Name, pool.HostName);
    }

    [Fact]
    public async Task PrivateHost_Volumes_HaveFormatSizesBackingChainAndGuests()
    {
        var host = await AddPrivateHostAsync();

        var overlay = await Eventually.ValueAsync(
            () => Store.Volumes.Find(VolumeState.KeyOf(host, "/images/web1.qcow2")),
            _ => true, Deadline, "web1.qcow2 is listed");
        var baseImage = Store.Volumes.Find(VolumeState.KeyOf(host, "/images/base.qcow2"))!;

        Assert.Equal("qcow2", overlay.Format);
        Assert.Equal(10UL << 30, overlay.CapacityBytes);
        Assert.Equal(20UL << 20, overlay.AllocationBytes);
        Assert.Equal(["/images/base.qcow2"], overlay.BackingChain);
        Assert.Equal(["web1"], overlay.UsedBy);
        Assert.Equal("images", overlay.PoolName);
        Assert.Empty(baseImage.BackingChain);
        Assert.Empty(baseImage.UsedBy);
    }

    [Fact]
    public async Task PrivateHost_PoolEvents_ReachTheStoreWithoutResync()
    {
        var host = await AddPrivateHostAsync();
        await Eventually.ValueAsync(() => Store.Pools.Current(p => p.HostId == host).FirstOrDefault(), _ => true, Deadline, "the pool is listed");
        var connection = Service<IHostConnections>().GetConnection(host);

        // A new pool: its lifecycle events re-read it.
        using (var pool = connection.DefineStoragePool("<pool type='dir'><name>scratch</name><target><path>/scratch</path></target></pool>"))
        {
            pool.Start();
            await Eventually.ValueAsync(
                () => Store.Pools.Current(p => p.HostId == host && p.Name == "scratch").FirstOrDefault(),
                p => p.State == StoragePoolState.Running, Deadline, "the new pool shows running");

            // libvirt has no volume events: a volume created behind VirtWeb's back shows after a pool refresh.
            using (pool.CreateVolume("<volume><name>late.raw</name><capacity unit='MiB'>64</capacity><target><format type='raw'/></target></volume>"))
            {
            }

            pool.Refresh();
            var late = await Eventually.ValueAsync(
                () => Store.Volumes.Current(v => v.HostId == host && v.Name == "late.raw").FirstOrDefault(),
                _ => true, Deadline, "the refreshed pool lists late.raw");
            Assert.Equal(64UL << 20, late.CapacityBytes);

            pool.Stop();
            await Eventually.ValueAsync(
                () => Store.Pools.Current(p => p.HostId == host && p.Name == "scratch").FirstOrDefault(),
                p => p.State == StoragePoolState.Inactive, Deadline, "the stopped pool shows inactive");
            Assert.Empty(Store.Volumes.Current(v => v.HostId == host && v.Name == "late.raw"));
            pool.Undefine();
        }

        await Eventually.ValueAsync(
            () => Store.Pools.Current(p => p.HostId == host && p.Name == "scratch").Count == 0 ? "gone" : null,
            _ => true, Deadline, "the undefined pool disappears");
    }

    [Fact]
    public async Task RemovedHost_ItsPoolsAndVolumesDisappear()
    {
        var host = await AddPrivateHostAsync();
        await Eventually.ValueAsync(() => Store.Volumes.Current(v => v.HostId == host).FirstOrDefault(), _ => true, Deadline, "volumes listed");

        await WithScopeAsync(async services =>
        {
            await services.GetRequiredService<HostService>().RemoveAsync(Admin, host);
            return true;
        });

        Assert.Empty(Store.Pools.Current(p => p.HostId == host));
        Assert.Empty(Store.Volumes.Current(v => v.HostId == host));
    }

    private async Task<Guid> AddPrivateHostAsync()
    {
        var world = StorageWorld.Write();
        var host = await WithScopeAsync(services =>
            services.GetRequiredService<HostService>().AddAsync(Admin, new HostInput(VirtWebFactory.UniqueUserName("store"), $"test://{world}")));
        await Eventually.ValueAsync(
            () => Store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, Deadline, "the private host connects");
        return host.Id;
    }

    internal static ClaimsPrincipal Admin { get; } =
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, "root"), new Claim(ClaimTypes.Role, Roles.Administrator)], "test"));
}
