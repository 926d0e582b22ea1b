namespace VirtWeb.Guests;

/// <summary>Reads one domain into a <see cref="GuestState"/>. Blocking libvirt calls: run it off the dispatcher.</summary>
public static class GuestReader
{
    public const string AgentChannel = "org.qemu.guest_agent.0";

    /// <summary>Reads <paramref name="domain"/>; <paramref name="previous"/> keeps uptime and agent addresses across re-reads.</summary>
    public static GuestState Read(WatchedHost host, LibvirtDomain domain, GuestState? previous, DateTimeOffset now, bool sawStart = false)
    {
        var state = domain.GetState();
        var info = domain.GetInfo();
        var definition = domain.GetDefinition();
        var persistent = domain.IsPersistent;
        var active = state.State is not DomainState.Shutoff;
        var hasAgent = definition.Channels.Any(c => c.TargetName == AgentChannel && c.TargetState == "connected");

        DateTimeOffset? since = null;
        var lowerBound = false;
        if (active)
        {
            if (sawStart)
            {
                since = now;
            }
            else if (previous is { RunningSince: { } known, HostConnected: true } && previous.IsActive)
            {
                (since, lowerBound) = (known, previous.UptimeIsLowerBound);
            }
            else
            {
                // libvirt does not say when a domain started; all VirtWeb knows is that it ran when it looked.
                (since, lowerBound) = (now, true);
            }
        }

        return new GuestState(
            host.HostId,
            host.Name,
            domain.Uuid,
            domain.Name,
            state.State,
            GuestText.Reason(state),
            info.VirtualCpus > 0 ? info.VirtualCpus : definition.Vcpus,
            info.MaxMemoryKiB,
            info.MemoryKiB,
            definition.VirtualizationMode,
            IsContainer(definition) ? GuestKind.Container : GuestKind.VirtualMachine,
            persistent && TryRead(() => domain.Autostart),
            persistent,
            persistent && TryRead(() => domain.HasManagedSave),
            hasAgent,
            since,
            lowerBound,
            active && hasAgent ? previous?.Addresses ?? [] : []);
    }

    public static bool IsContainer(DomainDefinition definition) =>
        definition.Type == "lxc" || definition.VirtualizationMode == VirtualizationMode.Container;

    // Drivers without autostart or managed save (the test driver lacks some) are not a reason to drop the guest.
    private static bool TryRead(Func<bool> read)
    {
        try
        {
            return read();
        }
        catch (LibvirtException)
        {
            return false;
        }
    }
}
