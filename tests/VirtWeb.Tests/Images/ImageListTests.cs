namespace VirtWeb.Tests.Images;

public sealed class ImageListTests : ComponentTest
{
    private const ulong GiB = 1UL << 30;
    private static readonly Guid HostId = Guid.NewGuid();

    [Fact]
    public void ImageList_PoolsAndVolumes_ShowSizesChainUsersAndUsage()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var pool = Pool("images");
        Upsert(Store.Pools, pool);
        Upsert(Store.Volumes, Volume(pool, "base.qcow2", "qcow2", 10 * GiB, 900UL << 20));
        Store.Volumes.Upsert(Volume(pool, "web1.qcow2", "qcow2", 10 * GiB, 20UL << 20) with
        {
            BackingChain = ["/images/base.qcow2"],
            UsedBy = ["web1"],
        }, Store.NextVersion());
        Upsert(Store.Volumes, Volume(pool, "data.raw", "raw", 10 * GiB, 10 * GiB));

        var page = Context.Render<ImageList>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal(["base.qcow2", "data.raw", "web1.qcow2"], Texts(page, "volume-name"));
            Assert.Equal(["qcow2", "raw", "qcow2"], Texts(page, "volume-format"));
            Assert.Equal(["10 GiB", "10 GiB", "10 GiB"], Texts(page, "volume-capacity"));
            Assert.Equal(["900 MiB", "10 GiB", "20 MiB"], Texts(page, "volume-allocation"));
            Assert.Equal(["web1.qcow2 → base.qcow2"], Texts(page, "volume-chain"));
            Assert.Contains("web1", Texts(page, "volume-used-by"));
            Assert.Contains("25 GiB used of 100 GiB, 75 GiB available", page.Find("[data-testid=pool-usage]").TextContent);
            Assert.Contains("a 10 GiB raw image takes 10 GiB", page.Find("[data-testid=formats-explained]").TextContent);
        });
    }

    [Fact]
    public void ImageList_LiveChanges_ShowWithoutReload()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var pool = Pool("images");
        Upsert(Store.Pools, pool);
        var page = Context.Render<ImageList>();
        page.WaitForAssertion(() => Assert.Equal(["images"], Texts(page, "pool-name")));

        var volume = Volume(pool, "new.qcow2", "qcow2", GiB, 200UL << 10);
        Upsert(Store.Volumes, volume);
        page.WaitForAssertion(() => Assert.Equal(["new.qcow2"], Texts(page, "volume-name")));

        Upsert(Store.Volumes, volume with { CapacityBytes = 2 * GiB });
        page.WaitForAssertion(() => Assert.Equal(["2 GiB"], Texts(page, "volume-capacity")));

        Upsert(Store.Pools, pool with { State = StoragePoolState.Inactive });
        page.WaitForAssertion(() => Assert.Equal(["inactive"], Texts(page, "pool-state")));

        Store.Volumes.Remove(volume.Key, Store.NextVersion());
        Store.Pools.Remove(pool.Key, Store.NextVersion());
        page.WaitForAssertion(() => Assert.Single(page.FindAll("[data-testid=no-pools]")));
    }

    [Fact]
    public void ImageList_IsoVolumes_AppearInTheLibrary()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var pool = Pool("media");
        Upsert(Store.Pools, pool);
        Upsert(Store.Volumes, Volume(pool, "debian.iso", "iso", 600UL << 20, 600UL << 20), Volume(pool, "disk.qcow2", "qcow2", GiB, 1UL << 20));

        var page = Context.Render<ImageList>();

        page.WaitForAssertion(() => Assert.Equal(["debian.iso"], Texts(page, "iso-name")));
    }

    [Fact]
    public void ImageList_Viewer_SeesNoActionButtons()
    {
        Context.SignInAs("vera", Roles.Viewer);
        var pool = Pool("images");
        Upsert(Store.Pools, pool);
        Upsert(Store.Volumes, Volume(pool, "base.qcow2", "qcow2", GiB, 1UL << 20));

        var page = Context.Render<ImageList>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(Texts(page, "volume-name"));
            Assert.Empty(page.FindAll("[data-testid=add-pool], [data-testid=new-volume], [data-testid=upload], [data-testid=pool-delete], [data-testid=pool-stop]"));
            Assert.Empty(page.FindAll("button[aria-label^='Delete'], a[aria-label^='Download'], button[aria-label^='Resize']"));
        });
    }

    [Theory]
    [InlineData(Roles.Operator)]
    [InlineData(Roles.Administrator)]
    public void ImageList_OperatorOrAdministrator_SeesActions(string role)
    {
        Context.SignInAs("olga", role);
        var pool = Pool("images");
        Upsert(Store.Pools, pool);
        Upsert(Store.Volumes, Volume(pool, "base.qcow2", "qcow2", GiB, 1UL << 20));

        var page = Context.Render<ImageList>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("[data-testid=new-volume]"));
            Assert.Single(page.FindAll("[data-testid=upload]"));
            Assert.Single(page.FindAll("button[aria-label='Delete base.qcow2']"));
        });
    }

    [Fact]
    public void ImageList_PoolOutsideTheRoots_FlaggedAndOnlyRefreshOffered()
    {
        Context.SignInAs("root", Roles.Administrator);
        var outside = Pool("etc") with { OutsideRoots = true };
        Upsert(Store.Pools, outside);
        Upsert(Store.Volumes, Volume(outside, "passwd", "raw", 4096, 4096), Volume(outside, "rescue.iso", "iso", GiB, GiB));

        var page = Context.Render<ImageList>();

        page.WaitForAssertion(() =>
        {
            Assert.Equal(["passwd", "rescue.iso"], Texts(page, "volume-name"));
            Assert.Equal(["outside VirtWeb's roots"], Texts(page, "pool-outside-roots"));
            Assert.Single(page.FindAll("[data-testid=pool-refresh]"));
            Assert.Empty(page.FindAll("[data-testid=new-volume], [data-testid=upload], [data-testid=pool-delete], [data-testid=pool-stop], [data-testid=pool-autostart-toggle]"));
            Assert.Empty(page.FindAll("button[aria-label^='Delete'], a[aria-label^='Download'], button[aria-label^='Wipe'], button[aria-label^='Resize'], button[aria-label^='Clone']"));
            // Not offered for a guest either: the ISO library lists what a guest may attach.
            Assert.Empty(Texts(page, "iso-name"));
        });
    }

    [Theory]
    [InlineData(Roles.Operator, false)]
    [InlineData(Roles.Administrator, true)]
    public void ImageList_PoolDelete_OfferedToAdministratorsOfTheHostOnly(string role, bool offered)
    {
        Context.SignInAs("olga", role);
        Upsert(Store.Pools, Pool("images"));

        var page = Context.Render<ImageList>();

        page.WaitForAssertion(() =>
        {
            Assert.Single(page.FindAll("[data-testid=pool-stop]"));
            Assert.Equal(offered ? 1 : 0, page.FindAll("[data-testid=pool-delete]").Count);
        });
    }

    private static List<string> Texts(IRenderedComponent<ImageList> page, string testId) =>
        page.FindAll($"[data-testid={testId}]").Select(e => e.TextContent.Trim()).ToList();

    private static PoolState Pool(string name) => new(
        HostId, "demo", Guid.NewGuid(), name, "dir", StoragePoolState.Running, Autostart: true, Persistent: true,
        100 * GiB, 25 * GiB, 75 * GiB, $"/{name}");

    private static VolumeState Volume(PoolState pool, string name, string format, ulong capacity, ulong allocation) => new(
        pool.HostId, pool.Uuid, pool.Name, name, $"{pool.TargetPath}/{name}", format, StorageVolumeType.File, capacity, allocation, [], []);
}
