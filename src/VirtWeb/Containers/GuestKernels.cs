using VirtWeb.MachineIds;

namespace VirtWeb.Containers;

/// <summary>The kernel a running guest runs, and where VirtWeb learnt it.</summary>
/// <param name="Release">The kernel release (<c>uname -r</c>), or null when it could not be read.</param>
/// <param name="Source">How it was read, or why not.</param>
/// <param name="Hypervisor">What the guest needs between it and the hardware: a hypervisor for a VM, none for a container.</param>
public sealed record GuestKernel(GuestState Guest, string? Release, string Source, string Hypervisor);

/// <summary>
/// What the seed teaches, read from the running guests themselves: a VM runs its own kernel (its guest agent's
/// <c>guest-get-osinfo</c> says which), a container runs the host's (its first process is a process of the host's
/// kernel, in the host's own process table, and that kernel's release is the host's <c>/proc</c>'s). Read only: it
/// changes nothing, and shows only guests the caller may view.
/// </summary>
public sealed class GuestKernels(IHostConnections hostConnections, LiveStateStore store, AccessControl access)
{
    /// <summary>
    /// The kernel of <paramref name="guest"/> and, beside it, of one running guest of the other kind on the same
    /// machine (a host with the same libvirt host UUID): a VM beside a container, a container beside a VM.
    /// </summary>
    public async Task<IReadOnlyList<GuestKernel>> ReadSideBySideAsync(ClaimsPrincipal caller, GuestState guest, CancellationToken cancellationToken = default)
    {
        if (!access.Allows(caller, guest.AccessPath, Permission.View) || guest.State != DomainState.Running)
        {
            return [];
        }

        var machine = store.Hosts.Find(guest.HostId.ToString())?.Facts?.HostUuid;
        var sameMachine = machine is null ? [] : store.Hosts.Current(h => h.Facts?.HostUuid == machine).Select(h => h.HostId).ToHashSet();
        var other = store.Guests.Current(g => sameMachine.Contains(g.HostId) && g.Kind != guest.Kind && g.State == DomainState.Running
                && (g.Kind == GuestKind.Container || g.HasAgent) && access.Allows(caller, g.AccessPath, Permission.View))
            .OrderBy(g => g.Name, StringComparer.Ordinal).FirstOrDefault();
        var kernels = new List<GuestKernel> { await ReadAsync(guest, cancellationToken) };
        if (other is not null)
        {
            kernels.Add(await ReadAsync(other, cancellationToken));
        }

        return kernels;
    }

    private async Task<GuestKernel> ReadAsync(GuestState guest, CancellationToken cancellationToken)
    {
        if (guest.Kind != GuestKind.Container && !guest.HasAgent)
        {
            return new GuestKernel(guest, null, "its own kernel; its guest agent is not connected, so VirtWeb cannot ask which", Hypervisor(guest));
        }

        try
        {
            var connection = hostConnections.GuestConnection(guest.HostId);
            using var domain = await Task.Run(() => connection.GetDomainByUuid(guest.Uuid), cancellationToken);
            return guest.Kind == GuestKind.Container
                ? await Task.Run(() => ReadContainer(guest, domain, connection.Uri), cancellationToken)
                : await ReadVmAsync(guest, domain, cancellationToken);
        }
        catch (Exception e) when (e is LibvirtException or MachineIdAgentException or HostUnavailableException)
        {
            return new GuestKernel(guest, null, $"not readable now: {e.Message}", Hypervisor(guest));
        }
    }

    private static async Task<GuestKernel> ReadVmAsync(GuestState guest, LibvirtDomain domain, CancellationToken cancellationToken)
    {
        var info = await new MachineIdAgent(domain, guest.Name).ExecuteAsync("guest-get-osinfo", cancellationToken: cancellationToken);
        var release = info.TryGetProperty("kernel-release", out var value) ? value.GetString() : null;
        return new GuestKernel(guest, release, "its own kernel, reported by its guest agent (guest-get-osinfo)", Hypervisor(guest));
    }

    private static GuestKernel ReadContainer(GuestState guest, LibvirtDomain domain, string uri)
    {
        if (!LocalHost.Is(uri))
        {
            return new GuestKernel(guest, null, "the host's kernel; VirtWeb reads it only for a container on this machine (lxc:///)", Hypervisor(guest));
        }

        // libvirt's domain ID of a container is its libvirt_lxc controller; the container's first process is that
        // controller's child, an ordinary process of the host's kernel.
        var init = domain.Id is { } controller ? FirstChild(controller) : null;
        var release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var source = init is { } pid
            ? $"the host's kernel: the container's first process is PID {pid} in the host's own /proc, so it runs on that kernel"
            : "the host's kernel (the same /proc/sys/kernel/osrelease as the host)";
        return new GuestKernel(guest, release, source, Hypervisor(guest));
    }

    private static int? FirstChild(int parent)
    {
        var children = $"/proc/{parent}/task/{parent}/children";
        if (File.Exists(children) && File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } first
            && int.TryParse(first, System.Globalization.CultureInfo.InvariantCulture, out var pid))
        {
            return pid;
        }

        return null;
    }

    private static string Hypervisor(GuestState guest) => guest.Kind == GuestKind.Container
        ? "none: a container is host processes in namespaces and cgroups, run by the host's kernel"
        : "a hypervisor (QEMU, with KVM where available) emulating the machine its kernel boots on";
}
