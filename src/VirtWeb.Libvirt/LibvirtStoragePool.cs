using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>A storage pool (<c>virStoragePoolPtr</c>). Dispose to drop the reference.</summary>
public sealed unsafe class LibvirtStoragePool : IDisposable
{
    private readonly CountedHandle<StoragePoolHandle> _handle;
    private string? _name;
    private Guid? _uuid;

    internal LibvirtStoragePool(LibvirtConnection connection, StoragePoolHandle handle) => _handle = new(connection, handle);

    public LibvirtConnection Connection => _handle.Connection;

    internal StoragePoolHandle Handle => _handle.Handle;

    public string Name => _name ??= _handle.WithPointer(ptr => NativeHelpers.BorrowString(Native.virStoragePoolGetName(ptr)));

    public Guid Uuid => _uuid ??= _handle.WithPointer(ptr => NativeHelpers.ReadUuid(&Native.virStoragePoolGetUUIDString, ptr, "virStoragePoolGetUUIDString"));

    public bool IsActive => NativeHelpers.Check(Native.virStoragePoolIsActive(_handle.Counted)) == 1;

    public bool IsPersistent => NativeHelpers.Check(Native.virStoragePoolIsPersistent(_handle.Counted)) == 1;

    public bool Autostart
    {
        get
        {
            int autostart;
            NativeHelpers.Check(Native.virStoragePoolGetAutostart(_handle.Counted, &autostart));
            return autostart != 0;
        }
        set => NativeHelpers.Check(Native.virStoragePoolSetAutostart(_handle.Counted, value ? 1 : 0));
    }

    public StoragePoolInfo GetInfo()
    {
        VirStoragePoolInfo info;
        NativeHelpers.Check(Native.virStoragePoolGetInfo(_handle.Counted, &info));
        return new StoragePoolInfo((StoragePoolState)info.State, info.Capacity, info.Allocation, info.Available);
    }

    public string GetXml(StorageXmlFlags flags = StorageXmlFlags.None) =>
        NativeHelpers.TakeString(Native.virStoragePoolGetXMLDesc(_handle.Counted, (uint)flags));

    public StoragePoolDefinition GetDefinition(StorageXmlFlags flags = StorageXmlFlags.None) => StoragePoolDefinition.Parse(GetXml(flags));

    /// <summary>Prepares the underlying storage (e.g. creates the directory of a dir pool).</summary>
    public void Build(StoragePoolBuildFlags flags = StoragePoolBuildFlags.New) =>
        NativeHelpers.Check(Native.virStoragePoolBuild(_handle.Counted, (uint)flags));

    /// <summary>Activates a defined pool (<c>virStoragePoolCreate</c>).</summary>
    public void Start() => NativeHelpers.Check(Native.virStoragePoolCreate(_handle.Counted, 0));

    /// <summary>Deactivates the pool (<c>virStoragePoolDestroy</c>); its data stays. A transient pool disappears.</summary>
    public void Stop() => NativeHelpers.Check(Native.virStoragePoolDestroy(_handle.Counted));

    public void Undefine() => NativeHelpers.Check(Native.virStoragePoolUndefine(_handle.Counted));

    /// <summary>Deletes the underlying storage of an inactive pool (e.g. removes the directory).</summary>
    public void Delete(StoragePoolDeleteFlags flags = StoragePoolDeleteFlags.Normal) =>
        NativeHelpers.Check(Native.virStoragePoolDelete(_handle.Counted, (uint)flags));

    /// <summary>Rescans the pool's volumes and sizes.</summary>
    public void Refresh() => NativeHelpers.Check(Native.virStoragePoolRefresh(_handle.Counted, 0));

    public IReadOnlyList<LibvirtStorageVolume> ListVolumes()
    {
        nint* volumes;
        var count = NativeHelpers.Check(Native.virStoragePoolListAllVolumes(_handle.Counted, &volumes, 0));
        return NativeHelpers.AdoptArray(volumes, count, ptr => new LibvirtStorageVolume(Connection, new StorageVolumeHandle(ptr)));
    }

    public LibvirtStorageVolume GetVolumeByName(string name) =>
        new(Connection, NativeHelpers.Check(Native.virStorageVolLookupByName(_handle.Counted, name)));

    public LibvirtStorageVolume CreateVolume(string xml, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None) =>
        new(Connection, NativeHelpers.Check(Native.virStorageVolCreateXML(_handle.Counted, xml, (uint)flags)));

    /// <summary>
    /// Creates a volume in this pool from <paramref name="xml"/> with the content of <paramref name="source"/>
    /// (a full copy, converting format if the XML asks for another one).
    /// </summary>
    public LibvirtStorageVolume CloneVolume(string xml, LibvirtStorageVolume source, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(Connection, NativeHelpers.Check(Native.virStorageVolCreateXMLFrom(_handle.Counted, xml, source.Handle, (uint)flags)));
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "storage pool";
}
