namespace VirtWeb.Images;

/// <summary>
/// <c>Images:PoolRoots</c>: the directories (on the machine libvirtd runs on) that VirtWeb's pools live in, each with
/// its subdirectories. Set by whoever runs the server in appsettings.json, never from the web UI.
/// </summary>
public sealed class PoolRootsOptions
{
    public const string SectionName = "Images";

    public const string DefaultRoot = "/var/lib/libvirt/images";

    /// <summary>
    /// Empty means <see cref="DefaultRoot"/>. An array rather than a list with a default element: the configuration
    /// binder appends to a list it finds filled, so a configured root would be added to the default, not replace it.
    /// </summary>
    public string[] PoolRoots { get; set; } = [];

    /// <summary>The roots as configured, or the default; unchecked (see <see cref="StorageRoots.RootProblem"/>).</summary>
    public IReadOnlyList<string> Effective => PoolRoots.Length == 0 ? [DefaultRoot] : PoolRoots;
}
