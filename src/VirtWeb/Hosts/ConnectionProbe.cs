namespace VirtWeb.Hosts;

public sealed record ConnectionProbeResult(bool Succeeded, string Message);

/// <summary>Opens a URI once to tell an Administrator whether it works, before saving it.</summary>
public interface IConnectionProbe
{
    /// <param name="uri">The URI as the user typed it, for the message.</param>
    /// <param name="connectUri">The one to open, as <see cref="HostUriPolicy"/> allowed it.</param>
    Task<ConnectionProbeResult> ProbeAsync(string uri, string connectUri, CancellationToken cancellationToken);
}

public sealed class ConnectionProbe : IConnectionProbe
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public async Task<ConnectionProbeResult> ProbeAsync(string uri, string connectUri, CancellationToken cancellationToken)
    {
        var probe = Task.Run(() =>
        {
            using var connection = LibvirtConnection.Open(connectUri);
            return $"Connected: {connection.HypervisorType} on {connection.Hostname}, libvirt {connection.LibraryVersion}.";
        }, cancellationToken);
        try
        {
            return new ConnectionProbeResult(true, await probe.WaitAsync(Timeout, cancellationToken));
        }
        catch (LibvirtException e)
        {
            return new ConnectionProbeResult(false, $"libvirt could not connect: {LibvirtMessages.ForUser(e, uri)}");
        }
        catch (TimeoutException)
        {
            return new ConnectionProbeResult(false, $"No answer within {Timeout.TotalSeconds:0} s; check the host name, port and firewall.");
        }
    }
}
