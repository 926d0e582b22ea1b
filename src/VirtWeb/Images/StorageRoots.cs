using Microsoft.Extensions.Options;

namespace VirtWeb.Images;

/// <summary>
/// The one answer to "is this path inside VirtWeb's storage roots" (<c>Images:PoolRoots</c>). Pools VirtWeb creates
/// live there, and the files a guest definition names must be volumes of such pools. Paths are compared after lexical
/// normalization, segment by segment, so <c>/var/lib/libvirt/images/../../etc</c> and <c>/var/lib/libvirt/images2</c>
/// are outside <c>/var/lib/libvirt/images</c>. The paths are on the machine libvirtd runs on, which for a remote URI
/// is not this one, so nothing here looks at the local file system.
/// </summary>
/// <remarks>
/// libvirt's test driver (<c>test:///...</c>) is exempt: its pools, volumes and guests exist only in the memory of this
/// process and it never opens the files it names, so its paths (<c>/images</c>, <c>/default-pool</c>) reach nothing.
/// Every other driver, local or remote, is held to the roots.
/// </remarks>
public sealed class StorageRoots
{
    public StorageRoots(IOptions<PoolRootsOptions> options)
    {
        var roots = new List<string>();
        foreach (var root in options.Value.Effective)
        {
            roots.Add(Normalize(root, out var problem) is { } normal && RootProblem(root) is null
                ? normal
                : throw new InvalidOperationException($"Images:PoolRoots: {RootProblem(root) ?? problem}"));
        }

        Roots = roots;
    }

    public IReadOnlyList<string> Roots { get; }

    /// <summary>The roots as a message names them.</summary>
    public string Described => string.Join(", ", Roots);

    /// <summary>Why <paramref name="root"/> cannot be a root, or null: it must be absolute, normal and not <c>/</c> itself.</summary>
    public static string? RootProblem(string? root)
    {
        if (Normalize(root, out var problem) is not { } normal)
        {
            return $"'{root}' cannot be a storage root: {problem}";
        }

        if (normal == "/")
        {
            return "'/' cannot be a storage root: every file of the host would be a volume. Name the directories pools may live in.";
        }

        return normal != root!.TrimEnd('/')
            ? $"'{root}' cannot be a storage root: write it without '.', '..' or doubled '/' ({normal})."
            : null;
    }

    /// <summary>
    /// <paramref name="path"/> made absolute and normal (no <c>.</c>, <c>..</c>, trailing <c>/</c>), or null with the
    /// <paramref name="problem"/>: empty, relative, NUL or another control character, or an empty segment (<c>//</c>).
    /// </summary>
    public static string? Normalize(string? path, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(path))
        {
            problem = "give an absolute directory, such as /var/lib/libvirt/images/extra.";
            return null;
        }

        if (path.Any(char.IsControl))
        {
            problem = "the path contains a NUL or another control character.";
            return null;
        }

        if (!path.StartsWith('/'))
        {
            problem = $"'{path}' is relative; give an absolute directory on the host, such as /var/lib/libvirt/images/extra.";
            return null;
        }

        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        if (trimmed.Contains("//", StringComparison.Ordinal) || (trimmed.Length == 0 && path.Length > 1))
        {
            problem = $"'{path}' has an empty segment ('//'); write each directory once.";
            return null;
        }

        // Lexical only: the path is on the machine libvirtd runs on, not necessarily this one.
        var normal = Path.GetFullPath(trimmed.Length == 0 ? "/" : trimmed);
        return normal.Length > 1 ? normal.TrimEnd('/') : normal;
    }

    /// <summary>Whether <paramref name="path"/> is a root or below one, compared whole segment by whole segment.</summary>
    public bool Contains(string? path) =>
        Normalize(path, out _) is { } normal && Roots.Any(root => normal == root || normal.StartsWith(root + "/", StringComparison.Ordinal));

    /// <summary>Whether <paramref name="path"/> is one of the roots itself (deleting its pool keeps the directory).</summary>
    public bool IsRoot(string? path) => Normalize(path, out _) is { } normal && Roots.Contains(normal, StringComparer.Ordinal);

    /// <summary>False for the test driver, whose paths name nothing (see the remarks); true for every other driver.</summary>
    public static bool AppliesTo(LibvirtConnection connection) =>
        !string.Equals(connection.HypervisorType, "test", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a pool whose directory is <paramref name="directory"/> (null: none on the host) counts as inside.</summary>
    public bool IsInside(LibvirtConnection connection, string? directory) => !AppliesTo(connection) || Contains(directory);

    /// <summary>The directory a new pool may use, normal; refused (naming it and the roots) when outside or malformed.</summary>
    public string RequirePoolDirectory(LibvirtConnection connection, string? directory)
    {
        if (Normalize(directory?.Trim(), out var problem) is not { } normal)
        {
            throw new ImageException($"The directory cannot be used: {problem}");
        }

        if (!IsInside(connection, normal))
        {
            throw new ImageException(
                $"The directory {normal} is outside VirtWeb's storage roots ({Described}): VirtWeb creates pools only there and below. " +
                $"Choose a directory such as {Roots[0]}/extra, or ask whoever runs the VirtWeb server to add a root to Images:PoolRoots.",
                ImageFailure.Forbidden);
        }

        return normal;
    }

    /// <summary>Refuses <paramref name="action"/> (e.g. "delete its volumes") on a pool outside the roots.</summary>
    public void RequireInside(LibvirtStoragePool pool, string action)
    {
        var directory = pool.GetDefinition().TargetPath;
        if (!IsInside(pool.Connection, directory))
        {
            throw new ImageException(OutsideMessage(pool.Name, directory, action), ImageFailure.Forbidden);
        }
    }

    /// <summary>Refuses <paramref name="action"/> on a volume whose pool is outside the roots.</summary>
    public void RequireInside(LibvirtStorageVolume volume, string action)
    {
        using var pool = volume.GetPool();
        RequireInside(pool, action);
    }

    public string OutsideMessage(string poolName, string? directory, string action) =>
        $"Pool {poolName} is {(directory is null ? "not a directory on the host" : $"at {directory}")}, outside VirtWeb's storage roots ({Described}): " +
        $"another tool defined it, and VirtWeb only shows it, so it does not {action}. Use a pool under {Described}, or manage this one on the host (virsh).";

    /// <summary>
    /// libvirt's message with every absolute path outside the roots replaced: paths inside are the volumes the Images
    /// page shows anyway, others (a symlink's target, another pool's directory) were not the user's to learn.
    /// </summary>
    public string Redact(string message) => LibvirtMessages.ReplacePaths(message, Contains, "(a path outside VirtWeb's storage roots)");
}
