using System.Runtime.InteropServices;
using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>Network lifecycle events (defined, undefined, started, stopped), registered like the domain and pool ones.</summary>
internal sealed unsafe partial class EventHub
{
    internal IDisposable SubscribeNetwork(LibvirtNetwork? network, NetworkEventKind kind, Action<LibvirtEvent> handler)
    {
        nint callback = kind switch
        {
            NetworkEventKind.Lifecycle => (nint)(delegate* unmanaged<nint, nint, int, int, nint, void>)&OnNetworkLifecycle,
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unsupported network event"),
        };
        return Subscribe(EventFamily.Network, (int)kind, network?.Handle, network?.Uuid, handler,
            (conn, target, opaque) => Native.virConnectNetworkEventRegisterAny(conn, target, (int)kind, callback, opaque, &FreeDispatcher),
            connection.TrackNetworkCallback, connection.DeregisterNetworkCallback);
    }

    [UnmanagedCallersOnly]
    private static void OnNetworkLifecycle(nint conn, nint net, int type, int detail, nint opaque) =>
        Deliver(opaque, net, static (n, a, b, _) => new NetworkLifecycleEvent(NetworkName(n), NetworkUuid(n), (NetworkLifecycleEventType)a, b), type, detail, null);

    private static string NetworkName(nint net) => NativeHelpers.BorrowString(Native.virNetworkGetName(net));

    private static Guid NetworkUuid(nint net) => NativeHelpers.ReadUuid(&Native.virNetworkGetUUIDString, net, "virNetworkGetUUIDString");
}
