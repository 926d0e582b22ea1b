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

    /// <summary>The handle for one libvirt call, counted on the connection (see <see cref="LibvirtConnection.CallCount"/>).</summary>
    private StoragePoolHandle Counted
    {
        get
        {
            Connection.CountCall();
            return _handle;
        }
    }

    public string Name => _name ??= WithPointer(ptr => NativeHelpers.BorrowString(Native.virStoragePoolGetName(ptr)));

    public Guid Uuid => _uuid ??= WithPointer(ptr => NativeHelpers.ReadUuid(&Native.virStoragePoolGetUUIDString, ptr, "virStoragePoolGetUUIDString"));

    public bool IsActive => NativeHelpers.Check(Native.virStoragePoolIsActive(Counted)) == 1;

    public bool IsPersistent => NativeHelpers.Check(Native.virStoragePoolIsPersistent(Counted)) == 1;

    public bool Autostart
    {
        get
        {
            int autostart;
            NativeHelpers.Check(Native.virStoragePoolGetAutostart(Counted, &autostart));
            return autostart != 0;
        }
        set => NativeHelpers.Check(Native.virStoragePoolSetAutostart(Counted, value ? 1 : 0));
    }

    public StoragePoolInfo GetInfo()
    {
        VirStoragePoolInfo info;
        NativeHelpers.Check(Native.virStoragePoolGetInfo(Counted, &info));
        return new StoragePoolInfo((StoragePoolState)info.State, info.Capacity, info.Allocation, info.Available);
    }

    public string GetXml(StorageXmlFlags flags = StorageXmlFlags.None) =>
        NativeHelpers.TakeString(Native.virStoragePoolGetXMLDesc(Counted, (uint)flags));

    public StoragePoolDefinition GetDefinition(StorageXmlFlags flags = StorageXmlFlags.None) => StoragePoolDefinition.Parse(GetXml(flags));

    /// <summary>Prepares the underlying storage (e.g. creates the directory of a dir pool).</summary>
    public void Build(StoragePoolBuildFlags flags = StoragePoolBuildFlags.New) =>
        NativeHelpers.Check(Native.virStoragePoolBuild(Counted, (uint)flags));

    /// <summary>Activates a defined pool (<c>virStoragePoolCreate</c>).</summary>
    public void Start() => NativeHelpers.Check(Native.virStoragePoolCreate(Counted, 0));

    /// <summary>Deactivates the pool (<c>virStoragePoolDestroy</c>); its data stays. A transient pool disappears.</summary>
    public void Stop() => NativeHelpers.Check(Native.virStoragePoolDestroy(Counted));

    public void Undefine() => NativeHelpers.Check(Native.virStoragePoolUndefine(Counted));

    /// <summary>Deletes the underlying storage of an inactive pool (e.g. removes the directory).</summary>
    public void Delete(StoragePoolDeleteFlags flags = StoragePoolDeleteFlags.Normal) =>
        NativeHelpers.Check(Native.virStoragePoolDelete(Counted, (uint)flags));

    /// <summary>Rescans the pool's volumes and sizes.</summary>
    public void Refresh() => NativeHelpers.Check(Native.virStoragePoolRefresh(Counted, 0));

    public IReadOnlyList<LibvirtStorageVolume> ListVolumes()
    {
        nint* volumes;
        var count = NativeHelpers.Check(Native.virStoragePoolListAllVolumes(Counted, &volumes, 0));
        return NativeHelpers.AdoptArray(volumes, count, ptr => new LibvirtStorageVolume(Connection, new StorageVolumeHandle(ptr)));
    }

    public LibvirtStorageVolume GetVolumeByName(string name) =>
        new(Connection, NativeHelpers.Check(Native.virStorageVolLookupByName(Counted, name)));

    public LibvirtStorageVolume CreateVolume(string xml, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None) =>
        new(Connection, NativeHelpers.Check(Native.virStorageVolCreateXML(Counted, xml, (uint)flags)));

    /// <summary>
    /// Creates a volume in this pool from <paramref name="xml"/> with the content of <paramref name="source"/>
    /// (a full copy, converting format if the XML asks for another one).
    /// </summary>
    public LibvirtStorageVolume CloneVolume(string xml, LibvirtStorageVolume source, StorageVolumeCreateFlags flags = StorageVolumeCreateFlags.None)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new(Connection, NativeHelpers.Check(Native.virStorageVolCreateXMLFrom(Counted, xml, source.Handle, (uint)flags)));
    }

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "storage pool";

    private T WithPointer<T>(Func<nint, T> use)
    {
        var added = false;
        try
        {
            Connection.CountCall();
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
