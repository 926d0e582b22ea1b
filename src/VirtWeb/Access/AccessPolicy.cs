namespace VirtWeb.Access;

/// <summary>The roles a grant can give, weakest first. NoAccess hides a subtree even from a user's global role.</summary>
public enum AccessRole
{
    NoAccess,
    Viewer,
    Operator,
    Administrator,
}

/// <summary>What a caller wants to do to an object.</summary>
public enum Permission
{
    View,
    Power,
    Console,
    ManageGuests,
    ManageImages,
    EditGuestXml,
    ManageHosts,
    ManageAccess,
}

/// <summary>A role on a path, for one user: <c>/</c>, <c>/hosts/{host}</c>, <c>/hosts/{host}/guests/{uuid}</c>, <c>/hosts/{host}/pools/{pool}</c>, <c>/hosts/{host}/networks/{network}</c>.</summary>
public sealed record Grant(string UserId, string Path, AccessRole Role);

/// <summary>Builds and walks the object paths grants are given on.</summary>
public static class AccessPaths
{
    public const string Root = "/";

    public const int MaxLength = 512;

    /// <summary>The hosts as a whole: the audit target of a host that does not exist yet (adding one).</summary>
    public const string Hosts = "/hosts";

    public static string Host(Guid hostId) => $"/hosts/{hostId}";

    /// <summary>A host's guests as a whole: the audit target of a guest that does not exist yet (a refused create).</summary>
    public static string Guests(Guid hostId) => $"/hosts/{hostId}/guests";

    public static string Guest(Guid hostId, Guid uuid) => $"/hosts/{hostId}/guests/{uuid}";

    public static string Pool(Guid hostId, string poolName) => $"/hosts/{hostId}/pools/{poolName}";

    public static string Network(Guid hostId, string networkName) => $"/hosts/{hostId}/networks/{networkName}";

    /// <summary>Where a volume's changes are audited; grants on it are checked on its pool, which it goes with.</summary>
    public static string Volume(Guid hostId, string poolName, string name) => $"{Pool(hostId, poolName)}/volumes/{name}";

    /// <summary>A volume the live store does not list, so its pool is unknown: named by its path on the host.</summary>
    public static string VolumeAt(Guid hostId, string path) => $"{Host(hostId)}/volumes{(path.StartsWith('/') ? "" : "/")}{path}";

    /// <summary>
    /// <paramref name="path"/> written the one way grants store it (lowercase ids), or a message saying what is wrong
    /// with it: a grant is only ever given on a whole object.
    /// </summary>
    public static (string? Path, string? Problem) Normalize(string? path)
    {
        const string expected = "Use /, /hosts/{host id}, /hosts/{host id}/guests/{guest uuid}, /hosts/{host id}/pools/{pool name} or /hosts/{host id}/networks/{network name}.";
        if (string.IsNullOrWhiteSpace(path))
        {
            return (null, "Choose what the grant is on. " + expected);
        }

        if (path.Length > MaxLength || path.Any(char.IsControl))
        {
            return (null, $"That path is too long or holds control characters. {expected}");
        }

        var segments = path.Trim().Split('/', StringSplitOptions.RemoveEmptyEntries);
        return segments switch
        {
            [] => (Root, null),
            ["hosts", var host] when Guid.TryParse(host, out var hostId) => (Host(hostId), null),
            ["hosts", var host, "guests", var guest] when Guid.TryParse(host, out var hostId) && Guid.TryParse(guest, out var uuid) =>
                (Guest(hostId, uuid), null),
            ["hosts", var host, "pools", var pool] when Guid.TryParse(host, out var hostId) && Images.ImageNames.Problem(pool, "pool") is null =>
                (Pool(hostId, pool), null),
            ["hosts", var host, "networks", var network] when Guid.TryParse(host, out var hostId) && Networks.NetworkNames.Problem(network, "network") is null =>
                (Network(hostId, network), null),
            _ => (null, $"'{path}' is not an object a grant can be on. {expected}"),
        };
    }

    /// <summary><paramref name="path"/>, then each object above it, up to <c>/</c>: most specific first.</summary>
    public static IEnumerable<string> SelfAndAncestors(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);

        // Object paths alternate kind and id (hosts/{id}/guests/{id}); only whole objects can carry a grant.
        for (var length = segments.Length - segments.Length % 2; length > 0; length -= 2)
        {
            yield return "/" + string.Join('/', segments[..length]);
        }

        yield return Root;
    }
}

/// <summary>
/// The one rule set, as Proxmox VE has it: a grant gives a role on a path and propagates down; the most specific grant
/// overrides the user's role there (narrowing or widening it); a NoAccess grant anywhere above or on the path beats
/// everything; with no grant the user's global role applies on every path, and no role means nothing (deny by default).
/// </summary>
public static class AccessPolicy
{
    public static AccessRole EffectiveRole(string? globalRole, IEnumerable<Grant> userGrants, string path)
    {
        var byPath = userGrants.GroupBy(g => g.Path, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Min(x => x.Role), StringComparer.Ordinal);
        var chain = AccessPaths.SelfAndAncestors(path).ToList();
        if (chain.Any(p => byPath.TryGetValue(p, out var role) && role == AccessRole.NoAccess))
        {
            return AccessRole.NoAccess;
        }

        foreach (var step in chain)
        {
            if (byPath.TryGetValue(step, out var role))
            {
                return role;
            }
        }

        return Enum.TryParse<AccessRole>(globalRole, out var global) && global != AccessRole.NoAccess ? global : AccessRole.NoAccess;
    }

    public static bool Allows(AccessRole role, Permission permission) => permission switch
    {
        Permission.View => role >= AccessRole.Viewer,
        Permission.Power or Permission.Console or Permission.ManageGuests or Permission.ManageImages => role >= AccessRole.Operator,
        Permission.EditGuestXml or Permission.ManageHosts or Permission.ManageAccess => role == AccessRole.Administrator,
        _ => false,
    };

    /// <summary>
    /// Whether someone holding <paramref name="granterRole"/> on a path may give <paramref name="requested"/> there:
    /// only who manages access on that path, and never more than they hold.
    /// </summary>
    /// <summary>Who holds <paramref name="permission"/>, for refusal messages: "an Operator or Administrator".</summary>
    public static string Describe(Permission permission) =>
        Enum.GetValues<AccessRole>().Where(role => Allows(role, permission)).ToList() switch
        {
            [var only] => $"{Article(only)} {only}",
            var roles => $"{Article(roles[0])} {string.Join(", ", roles.SkipLast(1))} or {roles[^1]}",
        };

    private static string Article(AccessRole role) => role is AccessRole.Operator or AccessRole.Administrator ? "an" : "a";

    public static bool MayGrant(AccessRole granterRole, AccessRole requested) =>
        Allows(granterRole, Permission.ManageAccess) && requested <= granterRole;
}
