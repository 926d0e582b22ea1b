namespace VirtWeb.Guests;

/// <summary>Reads one domain into a <see cref="GuestState"/>. Blocking libvirt calls: run it off the dispatcher.</summary>
public static class GuestReader
{
    public const string AgentChannel = "org.qemu.guest_agent.0";

    /// <summary>Reads <paramref name="domain"/>; <paramref name="previous"/> keeps uptime and agent addresses across re-reads; <paramref name="read"/> is handed the definition read.</summary>
    public static GuestState Read(WatchedHost host, LibvirtDomain domain, GuestState? previous, DateTimeOffset now, bool sawStart = false, Action<DomainDefinition>? read = null)
    {
        var state = domain.GetState();
        var definition = domain.GetDefinition();
        read?.Invoke(definition);
        var persistent = domain.IsPersistent;
        return Compose(
            host, domain.Uuid, state, definition, previous, now, sawStart,
            persistent, persistent && TryRead(() => domain.Autostart), persistent && TryRead(() => domain.HasManagedSave));
    }

    /// <summary>
    /// The re-read after a start or stop, in three calls whatever the host's size (the lookup, the state, the live XML):
    /// persistence and autostart do not change by starting or stopping, so they come from <paramref name="previous"/>;
    /// the managed save image is read again only when the event says it may have come or gone.
    /// <paramref name="read"/> is handed the definition read, for what else is derived from it.
    /// </summary>
    public static GuestState ReadAfterEvent(
        WatchedHost host, LibvirtDomain domain, Guid uuid, GuestState previous, DateTimeOffset now, bool managedSaveMayHaveChanged, Action<DomainDefinition>? read = null)
    {
        var state = domain.GetState();
        var definition = domain.GetDefinition();
        read?.Invoke(definition);
        var managedSave = managedSaveMayHaveChanged
            ? previous.Persistent && TryRead(() => domain.HasManagedSave)
            : previous.HasManagedSave;
        return Compose(host, uuid, state, definition, previous, now, sawStart: false, previous.Persistent, previous.Autostart, managedSave);
    }

    // vCPUs and memory come from the live XML, which libvirt keeps current (balloon and vCPU changes update it), so no
    // virDomainGetInfo call is needed beside it.
    private static GuestState Compose(
        WatchedHost host, Guid uuid, DomainStateInfo state, DomainDefinition definition, GuestState? previous, DateTimeOffset now,
        bool sawStart, bool persistent, bool autostart, bool managedSave)
    {
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

        var maxMemory = definition.MemoryKiB ?? 0;
        return new GuestState(
            host.HostId,
            host.Name,
            uuid,
            definition.Name,
            state.State,
            GuestText.Reason(state),
            definition.CurrentVcpus,
            maxMemory,
            definition.CurrentMemoryKiB ?? maxMemory,
            definition.VirtualizationMode,
            IsContainer(definition) ? GuestKind.Container : GuestKind.VirtualMachine,
            autostart,
            persistent,
            managedSave,
            hasAgent,
            since,
            lowerBound,
            active && hasAgent ? previous?.Addresses ?? [] : [],
            IsTemplate: Templates.TemplateMarks.IsTemplate(definition));
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
