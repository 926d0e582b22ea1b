namespace VirtWeb.Access;

/// <summary>
/// What an API token's principal carries besides its user's identity: the token's id and its narrowing. The user's
/// role and grants still come from <see cref="AccessControl"/>'s stored accounts at every call; the token can only take
/// away from them ("privilege separated", as Proxmox VE has it), so a demoted user's tokens shrink with them.
/// </summary>
public sealed record ApiTokenScope(Guid TokenId, AccessRole? Role, IReadOnlyList<string> Paths)
{
    public const string AuthenticationType = "VirtWeb.ApiToken";
    public const string TokenIdClaim = "virtweb:api_token";
    public const string RoleClaim = "virtweb:api_token_role";
    public const string PathClaim = "virtweb:api_token_path";

    /// <summary>The token behind <paramref name="user"/>, or null for a sign-in (cookie) principal.</summary>
    public static ApiTokenScope? Of(ClaimsPrincipal user)
    {
        if (user.FindFirstValue(TokenIdClaim) is not { } id || !Guid.TryParse(id, out var tokenId))
        {
            return null;
        }

        var role = user.FindFirstValue(RoleClaim) is { } text && Enum.TryParse<AccessRole>(text, out var parsed) ? parsed : (AccessRole?)null;
        return new ApiTokenScope(tokenId, role, user.FindAll(PathClaim).Select(c => c.Value).ToList());
    }

    public IEnumerable<Claim> Claims()
    {
        yield return new Claim(TokenIdClaim, TokenId.ToString());
        if (Role is { } role)
        {
            yield return new Claim(RoleClaim, role.ToString());
        }

        foreach (var path in Paths)
        {
            yield return new Claim(PathClaim, path);
        }
    }

    /// <summary>The role the token leaves of <paramref name="userRole"/> on <paramref name="path"/>: never more.</summary>
    public AccessRole Narrow(AccessRole userRole, string path)
    {
        if (Paths.Count > 0 && !Paths.Any(p => Covers(p, path)))
        {
            return AccessRole.NoAccess;
        }

        return Role is { } cap && cap < userRole ? cap : userRole;
    }

    /// <summary>Whether <paramref name="scope"/> is <paramref name="path"/> or above it.</summary>
    public static bool Covers(string scope, string path) =>
        scope == AccessPaths.Root
        || string.Equals(scope, path, StringComparison.Ordinal)
        || path.StartsWith(scope.TrimEnd('/') + "/", StringComparison.Ordinal);
}
