using System.Collections.Concurrent;
using VirtWeb.Images;

namespace VirtWeb.Guests;

/// <summary>
/// One action per guest at a time across all users and areas (power, delete, XML, clone, machine IDs): a second click
/// while one runs is skipped, not queued. Each action that runs is written to the guest's timeline and the audit trail
/// (success, or the refusal with the message the user saw), and the guest is re-read at once afterwards, so the list
/// does not wait for libvirt's event. A skipped click changes nothing and is not written. Authorization is the
/// caller's: every public service method checks it before it takes the lock.
/// </summary>
public sealed class GuestActionLock(
    IHostConnections hostConnections,
    LiveStateStore store,
    GuestWatcher watcher,
    GuestTimeline timeline,
    AuditLog audit,
    StorageRoots roots,
    ILogger<GuestActionLock> logger,
    HostLanes lanes)
{
    private readonly ConcurrentDictionary<string, string> _running = new(StringComparer.Ordinal);

    /// <summary>Raised with the guest's key when an action on it starts or ends.</summary>
    public event Action<string>? BusyChanged;

    public bool IsBusy(string guestKey) => _running.ContainsKey(guestKey);

    /// <summary>libvirt's own message, without the doubled prefixes some drivers add.</summary>
    public static string Plain(LibvirtException e) => e.Message.Trim().TrimEnd('.') + ".";

    /// <summary>
    /// <see cref="Plain"/> as a web user may read it: libvirt names files of the host in its errors, and those outside
    /// VirtWeb's storage roots were not the user's to learn (guests may name only volumes inside them).
    /// </summary>
    public string ForUser(LibvirtException e) => roots.Redact(Plain(e));

    internal Task<GuestActionResult> RunAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string title, string auditAction, Func<WatchedHost, LibvirtDomain, string> act,
        CancellationToken cancellationToken, bool ownConnection = false) =>
        RunAsync(caller, hostId, uuid, title, auditAction, (host, domain) => Task.FromResult(act(host, domain)), cancellationToken, ownConnection);

    /// <summary>
    /// Runs <paramref name="act"/> on the guest under the lock, audits the outcome under <paramref name="auditAction"/>
    /// and re-reads the guest. Internal because it does not check authorization: the caller has, before calling.
    /// A long action (a clone, a snapshot, a managed save) passes <paramref name="ownConnection"/>: it then runs on a
    /// connection of its own (<see cref="IHostConnections.OpenSeparateAsync"/>), so the host's other pages and actions
    /// do not wait behind it.
    /// </summary>
    internal async Task<GuestActionResult> RunAsync(
        ClaimsPrincipal caller, Guid hostId, Guid uuid, string title, string auditAction, Func<WatchedHost, LibvirtDomain, Task<string>> act,
        CancellationToken cancellationToken, bool ownConnection = false)
    {
        var key = GuestState.KeyOf(hostId, uuid);
        var target = AccessPaths.Guest(hostId, uuid);
        var name = store.Guests.Find(key)?.Name ?? uuid.ToString();
        if (!_running.TryAdd(key, title))
        {
            return new GuestActionResult(false, $"{name}: {_running.GetValueOrDefault(key, "an action")} is still running; wait for it to finish.");
        }

        BusyChanged?.Invoke(key);
        try
        {
            var host = new WatchedHost(hostId, store.Hosts.Find(hostId.ToString())?.Name ?? "host", hostConnections.GetConnection(hostId));
            // In the host's bounded lane: a frozen host holds at most a few threads, never the whole pool.
            var message = await lanes.RunAsync(hostId, async () =>
            {
                using var own = ownConnection ? await hostConnections.OpenSeparateAsync(hostId, cancellationToken) : null;
                var on = own is null ? host : host with { Connection = own.Connection };
                try
                {
                    LibvirtDomain domain;
                    try
                    {
                        domain = on.Connection.GetDomainByUuid(uuid);
                    }
                    catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
                    {
                        throw new GuestActionException($"{name} no longer exists on {host.Name}; someone deleted it.", e);
                    }

                    using (domain)
                    {
                        name = domain.Name;
                        return await act(on, domain);
                    }
                }
                catch (Exception e) when (ConnectionLoss.Caused(e, on.Connection))
                {
                    // Checked before libvirt's own message: "client socket is closed" or a disposed handle tells the
                    // operator less than that the host went away, and the action may have stopped half-way.
                    var lost = $"Could not {title.ToLowerInvariant()} {name}: the connection to {host.Name} was lost while it ran. " +
                        $"Once {host.Name} reads Connected again, look at {name} before trying again.";
                    throw new GuestActionException(lost, new HostUnavailableException(lost, e));
                }
                catch (LibvirtException e)
                {
                    throw new GuestActionException($"Could not {title.ToLowerInvariant()} {name}: {ForUser(e)}", e);
                }
            }, cancellationToken);

            timeline.Add(key, $"{title} by {caller.Identity?.Name ?? "someone"}");
            logger.LogInformation("{User} did {Action} on guest {Guest} on {Host}.", caller.Identity?.Name, title, name, host.Name);
            await audit.WriteAsync(caller, auditAction, target, AuditOutcome.Success, message);
            // Done, even if the host went away just after: its resync reads the guest when it is back.
            await Task.Run(() => ConnectionLoss.Quietly(host.Connection, () => watcher.ReRead(host, uuid)), CancellationToken.None);
            return new GuestActionResult(true, message);
        }
        catch (GuestActionException e)
        {
            timeline.Add(key, $"{title} by {caller.Identity?.Name ?? "someone"} failed: {e.Message}");
            await audit.WriteAsync(caller, auditAction, target, e.Outcome, e.Message);
            throw;
        }
        catch (HostUnavailableException e)
        {
            await audit.WriteAsync(caller, auditAction, target, AuditOutcome.Failure, e.Message);
            throw new GuestActionException(e.Message, e);
        }
        finally
        {
            _running.TryRemove(key, out _);
            BusyChanged?.Invoke(key);
        }
    }

    /// <summary>
    /// Reads a guest just made (created or cloned) into the live store at once, notes <paramref name="timelineEntry"/>
    /// and returns its row; null when libvirt did not show it yet (it appears with the host's next report).
    /// </summary>
    internal async Task<GuestState?> ReadNewAsync(WatchedHost host, Guid uuid, string timelineEntry)
    {
        await Task.Run(() => watcher.ReRead(host, uuid), CancellationToken.None);
        var key = GuestState.KeyOf(host.HostId, uuid);
        timeline.Add(key, timelineEntry);
        return store.Guests.Find(key);
    }
}
