using System.Runtime.InteropServices;

namespace VirtWeb.Libvirt.Interop;

/// <summary>
/// Domain snapshots and the block jobs that merge external ones. Arrays from virDomainListAllSnapshots are malloc'd;
/// each element is a reference the caller must virDomainSnapshotFree.
/// </summary>
internal static unsafe partial class Native
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainSnapshotHandle virDomainSnapshotCreateXML(DomainHandle domain, string xml, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainListAllSnapshots(DomainHandle domain, nint** snaps, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainSnapshotHandle virDomainSnapshotLookupByName(DomainHandle domain, string name, uint flags);
    [LibraryImport(Lib)] internal static partial DomainSnapshotHandle virDomainSnapshotCurrent(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainHasCurrentSnapshot(DomainHandle domain, uint flags);
    [LibraryImport(Lib)] internal static partial nint virDomainSnapshotGetName(nint snapshot); // borrowed
    [LibraryImport(Lib)] internal static partial nint virDomainSnapshotGetXMLDesc(DomainSnapshotHandle snapshot, uint flags); // caller frees
    [LibraryImport(Lib)] internal static partial DomainSnapshotHandle virDomainSnapshotGetParent(DomainSnapshotHandle snapshot, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSnapshotIsCurrent(DomainSnapshotHandle snapshot, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSnapshotHasMetadata(DomainSnapshotHandle snapshot, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainRevertToSnapshot(DomainSnapshotHandle snapshot, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSnapshotDelete(DomainSnapshotHandle snapshot, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainSnapshotFree(nint snapshot);

    // Block jobs (merging an external overlay back into its backing file while QEMU runs).
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainBlockCommit(DomainHandle domain, string disk, string? @base, string? top, nuint bandwidth, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainGetBlockJobInfo(DomainHandle domain, string disk, VirDomainBlockJobInfo* info, uint flags);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainBlockJobAbort(DomainHandle domain, string disk, uint flags);
    [LibraryImport(Lib)] internal static partial int virDomainCreateWithFlags(DomainHandle domain, uint flags);
}

/// <summary>virDomainBlockJobInfo: <c>unsigned long</c> is 64 bits on the Linux targets libvirt runs on.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainBlockJobInfo
{
    public int Type;
    public nuint Bandwidth;
    public ulong Cur;
    public ulong End;
}
