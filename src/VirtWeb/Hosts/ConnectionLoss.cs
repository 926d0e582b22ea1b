namespace VirtWeb.Hosts;

/// <summary>
/// Tells a host connection that died under an action from a libvirt refusal. When libvirtd goes away mid-action the
/// calls on the connection fail with a <see cref="LibvirtException"/> (the socket closed) or, once the supervisor has
/// disposed the connection, with an <see cref="ObjectDisposedException"/>: both mean the same thing, the host was lost,
/// and an action's clean-up meeting either must not replace the error the action itself raised.
/// </summary>
public static class ConnectionLoss
{
    /// <summary>Whether <paramref name="connection"/> is disposed or no longer answers.</summary>
    public static bool IsLost(LibvirtConnection connection)
    {
        if (connection.IsClosed)
        {
            return true;
        }

        try
        {
            return !connection.IsAlive;
        }
        catch (Exception e) when (e is LibvirtException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Whether <paramref name="error"/> is what a call on <paramref name="connection"/> raises because the connection died.</summary>
    public static bool Caused(Exception error, LibvirtConnection connection) =>
        error is LibvirtException or ObjectDisposedException && IsLost(connection);

    /// <summary>
    /// Runs a clean-up step of an action (a pool refresh, removing what a failed step left). On a connection that died
    /// meanwhile its failure is dropped: the action's own error is what the user must see, and the host's resync
    /// re-reads everything once it is back. On a live connection the step's failure is the step's to report.
    /// </summary>
    public static void Quietly(LibvirtConnection connection, Action cleanup)
    {
        try
        {
            cleanup();
        }
        catch (Exception e) when (Caused(e, connection))
        {
        }
    }

    /// <inheritdoc cref="Quietly(LibvirtConnection, Action)"/>
    public static async Task QuietlyAsync(LibvirtConnection connection, Func<Task> cleanup)
    {
        try
        {
            await cleanup();
        }
        catch (Exception e) when (Caused(e, connection))
        {
        }
    }
}
