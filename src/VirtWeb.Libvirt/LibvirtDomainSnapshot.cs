using VirtWeb.Libvirt.Interop;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Libvirt;

/// <summary>
/// A domain snapshot (<c>virDomainSnapshotPtr</c>). Valid after the snapshot is deleted (calls then fail with
/// <see cref="LibvirtErrorCode.NoDomainSnapshot"/>). Dispose to drop the reference.
/// </summary>
public sealed unsafe class LibvirtDomainSnapshot : IDisposable
{
    private readonly CountedHandle<DomainSnapshotHandle> _handle;
    private string? _name;

    internal LibvirtDomainSnapshot(LibvirtConnection connection, DomainSnapshotHandle handle) => _handle = new(connection, handle);

    public string Name => _name ??= _handle.WithPointer(ptr => NativeHelpers.BorrowString(Native.virDomainSnapshotGetName(ptr)));

    public string GetXml(bool secure = false) => NativeHelpers.TakeString(Native.virDomainSnapshotGetXMLDesc(_handle.Counted, secure ? 1u : 0u));

    public SnapshotDefinition GetDefinition() => SnapshotDefinition.Parse(GetXml());

    /// <summary>The parent snapshot, or null for a root.</summary>
    public LibvirtDomainSnapshot? GetParent()
    {
        var parent = Native.virDomainSnapshotGetParent(_handle.Counted, 0);
        if (parent.IsInvalid)
        {
            var error = NativeHelpers.LastError("virDomainSnapshotGetParent");
            parent.Dispose();
            return error.Code == LibvirtErrorCode.NoDomainSnapshot ? null : throw error;
        }
        return new LibvirtDomainSnapshot(_handle.Connection, parent);
    }

    public bool IsCurrent => NativeHelpers.Check(Native.virDomainSnapshotIsCurrent(_handle.Counted, 0)) == 1;

    public bool HasMetadata => NativeHelpers.Check(Native.virDomainSnapshotHasMetadata(_handle.Counted, 0)) == 1;

    /// <summary>Brings the domain back to this snapshot's disks (and memory, when it has it); what was not in a snapshot is lost.</summary>
    public void Revert(SnapshotRevertFlags flags = SnapshotRevertFlags.None) =>
        NativeHelpers.Check(Native.virDomainRevertToSnapshot(_handle.Counted, (uint)flags));

    /// <summary>
    /// Deletes the snapshot; its children move to its parent unless <see cref="SnapshotDeleteFlags.Children"/> deletes
    /// them too. libvirt 9.0 refuses external snapshots here, except with <see cref="SnapshotDeleteFlags.MetadataOnly"/>.
    /// </summary>
    public void Delete(SnapshotDeleteFlags flags = SnapshotDeleteFlags.None) =>
        NativeHelpers.Check(Native.virDomainSnapshotDelete(_handle.Counted, (uint)flags));

    public void Dispose() => _handle.Dispose();

    public override string ToString() => _name ?? "snapshot";
}

/// <summary>The snapshot and block-job calls of a domain.</summary>
public static unsafe class LibvirtDomainSnapshots
{
    public static LibvirtDomainSnapshot CreateSnapshot(this LibvirtDomain domain, string xml, SnapshotCreateFlags flags = SnapshotCreateFlags.None) =>
        new(domain.Connection, NativeHelpers.Check(Native.virDomainSnapshotCreateXML(Counted(domain), xml, (uint)flags)));

    public static IReadOnlyList<LibvirtDomainSnapshot> ListSnapshots(this LibvirtDomain domain, SnapshotListFlags flags = SnapshotListFlags.None)
    {
        nint* array;
        var count = NativeHelpers.Check(Native.virDomainListAllSnapshots(Counted(domain), &array, (uint)flags));
        return NativeHelpers.AdoptArray(array, count, p => new LibvirtDomainSnapshot(domain.Connection, new DomainSnapshotHandle(p)));
    }

    public static LibvirtDomainSnapshot GetSnapshot(this LibvirtDomain domain, string name) =>
        new(domain.Connection, NativeHelpers.Check(Native.virDomainSnapshotLookupByName(Counted(domain), name, 0)));

    /// <summary>The snapshot by name, or null when the domain has none of that name.</summary>
    public static LibvirtDomainSnapshot? FindSnapshot(this LibvirtDomain domain, string name)
    {
        try
        {
            return domain.GetSnapshot(name);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomainSnapshot)
        {
            return null;
        }
    }

    /// <summary>Starts QEMU with the guest's CPUs stopped: block jobs can then run on a guest that never executes.</summary>
    public static void Start(this LibvirtDomain domain, DomainCreateFlags flags) =>
        NativeHelpers.Check(Native.virDomainCreateWithFlags(Counted(domain), (uint)flags));

    /// <summary>Starts merging <paramref name="top"/> (null: the active layer) of disk <paramref name="disk"/> down into <paramref name="base"/> (null: its backing file).</summary>
    public static void BlockCommit(this LibvirtDomain domain, string disk, string? @base, string? top, BlockCommitFlags flags) =>
        NativeHelpers.Check(Native.virDomainBlockCommit(Counted(domain), disk, @base, top, 0, (uint)flags));

    /// <summary>The block job on <paramref name="disk"/>, or null when none runs.</summary>
    public static BlockJobInfo? GetBlockJob(this LibvirtDomain domain, string disk)
    {
        VirDomainBlockJobInfo info;
        var found = NativeHelpers.Check(Native.virDomainGetBlockJobInfo(Counted(domain), disk, &info, 0));
        return found == 0 ? null : new BlockJobInfo((BlockJobType)info.Type, info.Cur, info.End);
    }

    public static void AbortBlockJob(this LibvirtDomain domain, string disk, BlockJobAbortFlags flags = BlockJobAbortFlags.None) =>
        NativeHelpers.Check(Native.virDomainBlockJobAbort(Counted(domain), disk, (uint)flags));

    private static DomainHandle Counted(LibvirtDomain domain)
    {
        domain.Connection.CountCall();
        return domain.Handle;
    }
}
