namespace VirtWeb.Containers;

public enum ContainerKind
{
    /// <summary>One command of the host, run in a container that sees the host's files read-only.</summary>
    Application,

    /// <summary>A root filesystem directory of its own, booted with its <c>/sbin/init</c>.</summary>
    System,
}

/// <summary>The create-container form: <see cref="Command"/> for an application container, <see cref="RootDirectory"/> for a system one.</summary>
public sealed record ContainerCreateInput(
    Guid HostId,
    string Name,
    ContainerKind Kind,
    int MemoryMiB,
    string? Command = null,
    string? RootDirectory = null,
    string? Network = null);

/// <summary>Where system containers' root filesystems may be (<c>Containers:RootDirectories</c>).</summary>
public sealed class ContainerOptions
{
    public const string SectionName = "Containers";

    public List<string> RootDirectories { get; set; } = [];

    /// <summary>The roots in force: the configured list, else libvirt's customary place for container filesystems.</summary>
    public IReadOnlyList<string> Roots => RootDirectories.Count > 0 ? RootDirectories : ["/var/lib/libvirt/filesystems"];
}
