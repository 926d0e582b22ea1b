using System.Runtime.InteropServices.Marshalling;

namespace VirtWeb.Libvirt.Interop;

/// <summary>A <c>virDomainSnapshotPtr</c>; it holds a reference on its domain until released.</summary>
[NativeMarshalling(typeof(DomainSnapshotHandleMarshaller))]
internal sealed class DomainSnapshotHandle : LibvirtHandle
{
    public DomainSnapshotHandle()
    {
    }

    internal DomainSnapshotHandle(nint existing) => Adopt(existing);

    protected override bool ReleaseHandle() => Native.virDomainSnapshotFree(handle) == 0;
}
