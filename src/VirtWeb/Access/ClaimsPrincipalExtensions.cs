namespace VirtWeb.Access;

public static class ClaimsPrincipalExtensions
{
    /// <summary>The server-side check every protected service method makes; hidden buttons are only convenience.</summary>
    public static void Require(this ClaimsPrincipal user, string role, string action)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            throw new AccessDeniedException($"Sign in to {action}.");
        }

        if (!user.IsInRole(role))
        {
            throw new AccessDeniedException($"Only an {role} may {action}; {user.Identity.Name} is not one.");
        }
    }
}
