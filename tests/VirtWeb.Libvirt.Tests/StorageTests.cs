namespace VirtWeb.Libvirt.Tests;

public sealed class StorageTests
{
    private static readonly Guid s_imagesUuid = Guid.Parse("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");

    [Fact]
    public void ListStoragePools_TestDefault_ReturnsTheDefaultPool()
    {
        using var connection = LibvirtConnection.Open("test:///default");

        var pool = Assert.Single(connection.ListStoragePools(), p => p.Name == "default-pool");

        Assert.True(pool.IsActive);
        Assert.Equal("/default-pool", pool.GetDefinition().TargetPath);
    }

    [Fact]
    public void GetStoragePool_ByNameAndUuid_ReportsInfoAndDefinition()
    {
        using var connection = Fixtures.OpenWorld();
        using var byName = connection.GetStoragePoolByName("images");
        using var byUuid = connection.GetStoragePoolByUuid(s_imagesUuid);

        Assert.Equal("images", byUuid.Name);
        Assert.Equal(s_imagesUuid, byName.Uuid);
        Assert.True(byName.IsPersistent);
        Assert.False(byName.Autostart);
        var info = byName.GetInfo();
        Assert.Equal(StoragePoolState.Running, info.State);
        Assert.Equal(100UL << 30, info.CapacityBytes);
        var definition = byName.GetDefinition();
        Assert.Equal(("dir", "/images"), (definition.Type, definition.TargetPath));
    }

    [Fact]
    public void GetStoragePoolByName_Missing_ThrowsNoStoragePool()
    {
        using var connection = Fixtures.OpenWorld();

        var exception = Assert.Throws<LibvirtException>(() => connection.GetStoragePoolByName("missing"));

        Assert.Equal(LibvirtErrorCode.NoStoragePool, exception.Code);
    }

    [Fact]
    public void ListVolumes_WorldPool_FindsVolumeByNamePathAndKey()
    {
        using var connection = Fixtures.OpenWorld();
        using var pool = connection.GetStoragePoolByName("images");

        var volume = Assert.Single(pool.ListVolumes());

        Assert.Equal("disk1.qcow2", volume.Name);
        Assert.Equal("/images/disk1.qcow2", volume.Path);
        using var byPath = connection.GetStorageVolumeByPath(volume.Path);
        using var byKey = connection.GetStorageVolumeByKey(volume.Key);
        using var byName = pool.GetVolumeByName("disk1.qcow2");
        Assert.Equal([volume.Key, volume.Key, volume.Key], new[] { byPath.Key, byKey.Key, byName.Key });
        var info = volume.GetInfo();
        Assert.Equal(new StorageVolumeInfo(StorageVolumeType.File, 10UL << 30, 200UL << 20), info);
        Assert.Equal("qcow2", volume.GetDefinition().TargetFormat);
        using var owner = volume.GetPool();
        Assert.Equal("images", owner.Name);
    }

    [Fact]
    public void CreateCloneDelete_Volumes_ChangeThePoolContent()
    {
        using var connection = Fixtures.OpenWorld();
        using var pool = connection.GetStoragePoolByName("images");

        using var created = pool.CreateVolume("""
            <volume><name>new.raw</name><capacity unit='MiB'>16</capacity><allocation unit='MiB'>16</allocation>
              <target><format type='raw'/></target></volume>
            """);
        using var clone = pool.CloneVolume("<volume><name>clone.raw</name><capacity unit='MiB'>16</capacity></volume>", created);

        Assert.Equal(["clone.raw", "disk1.qcow2", "new.raw"], pool.ListVolumes().Select(v => v.Name).Order());
        Assert.Equal(16UL << 20, clone.GetInfo().CapacityBytes);

        created.Delete();
        clone.Delete();

        Assert.Equal(["disk1.qcow2"], pool.ListVolumes().Select(v => v.Name));
        var exception = Assert.Throws<LibvirtException>(() => pool.GetVolumeByName("new.raw"));
        Assert.Equal(LibvirtErrorCode.NoStorageVol, exception.Code);
    }

    [Fact]
    public void PoolLifecycle_DefineBuildStartStopDeleteUndefine_Works()
    {
        using var connection = Fixtures.OpenWorld();

        using var pool = connection.DefineStoragePool("<pool type='dir'><name>scratch</name><target><path>/scratch</path></target></pool>");
        Assert.False(pool.IsActive);
        Assert.Equal(StoragePoolState.Inactive, pool.GetInfo().State);

        pool.Build();
        pool.Start();
        pool.Autostart = true;
        Assert.True(pool.IsActive);
        Assert.True(pool.Autostart);
        pool.Refresh();

        pool.Stop();
        pool.Delete();
        pool.Undefine();

        Assert.DoesNotContain(connection.ListStoragePools(), p => p.Name == "scratch");
    }

    [Fact]
    public void CreateStoragePool_Transient_VanishesWhenStopped()
    {
        using var connection = Fixtures.OpenWorld();

        using var pool = connection.CreateStoragePool("<pool type='dir'><name>transient</name><target><path>/transient</path></target></pool>");

        Assert.True(pool.IsActive);
        Assert.False(pool.IsPersistent);
        pool.Stop();
        Assert.DoesNotContain(connection.ListStoragePools(), p => p.Name == "transient");
    }

    [Fact]
    public void ListStoragePools_WithFlags_FiltersActiveAndInactive()
    {
        using var connection = Fixtures.OpenWorld();
        using var inactive = connection.DefineStoragePool("<pool type='dir'><name>idle</name><target><path>/idle</path></target></pool>");

        Assert.Equal(["images"], connection.ListStoragePools(StoragePoolListFlags.Active).Select(p => p.Name));
        Assert.Equal(["idle"], connection.ListStoragePools(StoragePoolListFlags.Inactive).Select(p => p.Name));
    }
}
