using System.Net;
using System.Net.Sockets;

namespace VirtWeb.Consoles;

/// <summary>Why a console cannot open, in words for the page: what is wrong and what to do.</summary>
public sealed class ConsoleUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Finds a guest's console from its live XML, on the server, and connects to it. Nothing the browser sends names the
/// target: only the host id and guest UUID the ticket was issued for.
/// </summary>
public sealed class ConsoleTargets(IHostConnections hostConnections, ConsoleSessions sessions, ILogger<ConsoleTargets> logger)
{
    /// <summary>Checks the console could open now, so the page can say why not before it tries.</summary>
    public Task CheckAsync(Guid hostId, Guid uuid, ConsoleKind kind, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            using var domain = RunningDomain(hostId, uuid);
            if (kind == ConsoleKind.Graphics)
            {
                VncDisplay(domain.GetXml());
            }
            else
            {
                SerialDevice(domain.GetXml());
            }
        }, cancellationToken);

    /// <summary>A stream to the guest's VNC server or serial console; the caller disposes it.</summary>
    public Task<Stream> OpenAsync(Guid hostId, Guid uuid, ConsoleKind kind, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            using var domain = RunningDomain(hostId, uuid);
            var xml = domain.GetXml();
            return kind == ConsoleKind.Graphics ? OpenVnc(domain, xml, cancellationToken) : OpenSerial(domain, xml, sessions.IsOpen(hostId, uuid, kind));
        }, cancellationToken);

    private LibvirtDomain RunningDomain(Guid hostId, Guid uuid)
    {
        LibvirtConnection connection;
        try
        {
            connection = hostConnections.GetConnection(hostId);
        }
        catch (HostUnavailableException e)
        {
            throw new ConsoleUnavailableException(e.Message, e);
        }
        LibvirtDomain domain;
        try
        {
            domain = connection.GetDomainByUuid(uuid);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            throw new ConsoleUnavailableException("This guest no longer exists; someone deleted it.", e);
        }
        try
        {
            if (!domain.IsActive)
            {
                throw new ConsoleUnavailableException("The guest is not running. Start it, then open its console.");
            }
            return domain;
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            domain.Dispose();
            throw new ConsoleUnavailableException("This guest no longer exists; someone deleted it.", e);
        }
        catch
        {
            domain.Dispose();
            throw;
        }
    }

    private static (int Index, DomainGraphics Graphics) VncDisplay(string xml)
    {
        var graphics = DomainDefinition.Parse(xml).Graphics;
        for (var i = 0; i < graphics.Count; i++)
        {
            if (graphics[i].Type == "vnc")
            {
                return (i, graphics[i]);
            }
        }
        throw new ConsoleUnavailableException(graphics.Count == 0
            ? "This guest has no graphical display. Add a VNC display listening on 127.0.0.1 to its definition, or use the serial console."
            : $"This guest's display is {string.Join(", ", graphics.Select(g => g.Type))}, which VirtWeb does not show. Add a VNC display listening on 127.0.0.1.");
    }

    private static DomainCharDevice SerialDevice(string xml) =>
        ConsoleDevices.Parse(xml).FirstOrDefault(d => d.Type == "pty")
        ?? throw new ConsoleUnavailableException("This guest has no serial console. Add <serial type='pty'/> to its definition to use one.");

    private Stream OpenVnc(LibvirtDomain domain, string xml, CancellationToken cancellationToken)
    {
        var (index, display) = VncDisplay(xml);
        try
        {
            // The preferred path: no port, no address, and QEMU skips the VNC password for this one client.
            return new NetworkStream(domain.OpenGraphicsSocket(index, skipAuth: true), ownsSocket: true);
        }
        catch (LibvirtException e) when (e.Code != LibvirtErrorCode.NoDomain)
        {
            logger.LogInformation("virDomainOpenGraphicsFD is not available for {Guest} ({Reason}); trying the display's own listen address", domain.Name, e.Message);
            return ConnectToListener(domain, display, e, cancellationToken);
        }
        catch (LibvirtException e)
        {
            throw new ConsoleUnavailableException("This guest no longer exists; someone deleted it.", e);
        }
    }

    /// <summary>
    /// Only a local libvirtd's guests, and only on loopback or a UNIX socket: VirtWeb never connects out to a VNC port
    /// on the network, where anyone else could too.
    /// </summary>
    private static NetworkStream ConnectToListener(LibvirtDomain domain, DomainGraphics display, LibvirtException why, CancellationToken cancellationToken)
    {
        if (!IsLocal(domain.Connection.Uri))
        {
            throw new ConsoleUnavailableException($"VirtWeb cannot reach this guest's display: libvirt refused to hand it over ({why.Message}), and the host is remote.", why);
        }
        Socket socket;
        EndPoint endPoint;
        if (display.ListenSocket is { Length: > 0 } path)
        {
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            endPoint = new UnixDomainSocketEndPoint(path);
        }
        else if (display.Port is { } port && IPAddress.TryParse(display.ListenAddress, out var address) && IPAddress.IsLoopback(address))
        {
            socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            endPoint = new IPEndPoint(address, port);
        }
        else
        {
            throw new ConsoleUnavailableException(
                $"This guest's VNC display listens on {display.ListenAddress ?? "all addresses"}, not on 127.0.0.1 or a UNIX socket, and libvirt refused to hand it over ({why.Message}). Make it listen on 127.0.0.1.", why);
        }
        try
        {
            socket.ConnectAsync(endPoint, cancellationToken).AsTask().GetAwaiter().GetResult();
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ConsoleUnavailableException($"This guest's VNC display does not answer: {e.Message}.", e);
        }
    }

    private Stream OpenSerial(LibvirtDomain domain, string xml, bool heldInVirtWeb)
    {
        var device = SerialDevice(xml);
        try
        {
            return new ConsoleStream(domain.OpenConsole(device.Alias));
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.OperationFailed && !heldInVirtWeb)
        {
            // libvirt can hold on to a console stream for a moment after its client let go (a browser switching from the
            // serial console to the screen and back). No VirtWeb user holds this one, so it is taken over rather than
            // leaving the page with "in use".
            logger.LogInformation("The serial console of {Guest} was held by no VirtWeb session ({Message}); taking it over.", domain.Name, e.Message);
            return OpenForced(domain, device.Alias);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.OperationFailed)
        {
            throw new ConsoleUnavailableException($"The serial console is in use elsewhere (libvirt says: {e.Message}). Close it there, then try again.", e);
        }
        catch (LibvirtException e)
        {
            throw new ConsoleUnavailableException($"libvirt could not open the serial console: {e.Message}", e);
        }
    }

    private static ConsoleStream OpenForced(LibvirtDomain domain, string? alias)
    {
        try
        {
            return new ConsoleStream(domain.OpenConsole(alias, force: true));
        }
        catch (LibvirtException e)
        {
            throw new ConsoleUnavailableException($"libvirt could not open the serial console: {e.Message}", e);
        }
    }

    private static bool IsLocal(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && string.IsNullOrEmpty(parsed.Host) && !parsed.Scheme.Contains('+', StringComparison.Ordinal);
}
