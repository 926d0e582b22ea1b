using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>A storage pool (<c>virStoragePoolPtr</c>). Dispose to drop the reference.</summary>
public sealed unsafe class LibvirtStoragePool : IDisposable
{
    private readonly StoragePoolHandle _handle;
    private string? _name;
    private Guid? _uuid;

    internal LibvirtStoragePool(LibvirtConnection connection, StoragePoolHandle handle)
    {
        Connection = connection;
        _handle = handle;
    }

    public LibvirtConnection Connection { get; }

    internal StoragePoolHandle Handle => _handle;

    public string Name => _name ??= WithPointer(ptr => NativeHelpers.BorrowString(Native.virStoragePoolGetName(ptr)));

    public Guid Uuid => _uuid ??= WithPointer(ptr => NativeHelpers.ReadUuid(&Native.virStoragePoolGetUUIDString, ptr, "virStoragePoolGetUUIDString"));

    public bool IsActive => NativeHelpers.Check(Native.virStoragePoolIsActive(_handle)) == 1;

    public bool IsPersistent => NativeHelpers.Check(Native.virStoragePoolIsPersistent(_handle)) == 1;

    public bool Autostart
    {
        get
        {
            int autostart;
            NativeHelpers.Check(Native.virStoragePoolGetAutostart(_handle, &autostart));
            return autostart != 0;
        }
        set => NativeHelpers.Check(Native.virStoragePoolSetAutostart(_handle, value ? 1 : 0));
    }

    public StoragePoolInfo GetInfo()
    {
        VirStoragePoolInfo info;
        NativeHelpers.Check(Native.virStoragePoolGetInfo(_handle, &info));
        return new StoragePoolInfo((StoragePoolState)info.State, info.Capacity, info.Allocation, info.Available);
    }

    public string GetXml(StorageXmlFlags flags = StorageXmlFlags.None) =>
        NativeHelpers.TakeString(Native.virStoragePoolGetXMLDesc(_handle, (uint)flags));

    public StoragePoolDefinition GetDefinition(StorageXmlFlags flags = StorageXmlFlags.None) => StoragePoolDefinition.Parse(GetXml(flags));

    /// <summary>Prepares the underlying storage (e.g. creates the directory of a dir pool).</summary>
    public void Build(StoragePoolBuildFlags flags = StoragePoolBuildFlags.New) =>
        NativeHelpers.Check(Native.virStoragePoolBuild(_handle, (uint)flags));

    /// <summary>Activates a defined pool (<c>virStoragePoolCreate</c>).</summary>
    public void Start() => NativeHelpers.Check(Native.virStoragePoolCreate(_handle, 0));

    /// <summary>Deactivates the pool (<c>virStoragePoolDestroy</c>); its data stays. A transient pool disappears.</summary>
    public void Stop() => NativeHelpers.Check(Native.virStoragePoolDestroy(_handle));

    public void Undefine() => NativeHelpers.Check(Native.virStoragePoolUndefine(_handle));

    /// <summary>Deletes the underlying storage of an inactive pool (e.g. removes the directory).</summary>
    public void Delete(StoragePoolDeleteFlags flags = StoragePoolDeleteFlags.Normal) =>
        NativeHelpers.Check(Native.virStoragePoolDelete(_handle, (uint)flags));

    /// <summary>Rescans the pool's volumes and sizes.</summary>
    public void Refresh() => NativeHelpers.Check(Native.virStoragePoolRefresh(_handle, 0));

    public IReadOnlyList<LibvirtStorageVolume> ListVolumes()
    {
        nint* volumes;
        var count = NativeHelpers.Check(Native.virStoragePoolListAllVolumes(_handle, &volumes, 0));
        return NativeHelpers.AdoptArray(volumes, count, ptr => new LibvirtStorageVolume(Connection, new StorageVolumeHandle(ptr)));
    }

    public LibvirtStorageVolume GetVolumeByName(string name) =>
        new(Connection, NativeHelpers.Check(Native.virStorageVolLookupByName(_handle, name)));

    public LibvirtStorageVolume CreateVolume(string xml, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None) =>
        new(Connection, NativeHelpers.Check(Native.virStorageVolCreateXML(_handle, xml, (uint)flags)));

    /// <summary>
    /// Creates a volume in this pool from <paramref name="xml"/> with the content of <paramref name="source"/>
    /// (a full copy, converting format if the XML asks for another one).
    /// </summary>
    public LibvirtStorageVolume CloneVolume(string xml, LibvirtStorageVolume source, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(Connection, NativeHelpers.Check(Native.virStorageVolCreateXMLFrom(_handle, xml, source.Handle, (uint)flags)));
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "storage pool";

    private T WithPointer<T>(Func<nint, T> use)
    {
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            return use(_handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }
}
