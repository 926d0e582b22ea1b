using System.Runtime.InteropServices.Marshalling;

namespace VirtWeb.Libvirt.Interop;

[NativeMarshalling(typeof(NetworkHandleMarshaller))]
internal sealed class NetworkHandle : LibvirtHandle
{
    public NetworkHandle()
    {
    }

    internal NetworkHandle(nint existing) => Adopt(existing);

    protected override bool ReleaseHandle() => Native.virNetworkFree(handle) == 0;
}
