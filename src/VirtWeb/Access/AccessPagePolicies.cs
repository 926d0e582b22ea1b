using Microsoft.AspNetCore.Authorization;

namespace VirtWeb.Access;

/// <summary>
/// Authorization policies for the administration pages, decided by <see cref="AccessControl"/> like every service method:
/// a role attribute would read the sign-in cookie's role, which knows nothing of grants and goes stale on demotion.
/// </summary>
public static class AccessPagePolicies
{
    /// <summary>Administers access on <c>/</c>, by role or by a grant there: user accounts and the audit trail.</summary>
    public const string ManageAccessEverywhere = "virtweb:manage-access-everywhere";

    /// <summary>Administers access somewhere, e.g. one host: what is open there, such as consoles.</summary>
    public const string ManageAccessAnywhere = "virtweb:manage-access-anywhere";

    public static AuthorizationBuilder AddAccessPagePolicies(this AuthorizationBuilder authorization) => authorization
        .AddPolicy(ManageAccessEverywhere, policy => policy.RequireAuthenticatedUser().AddRequirements(new ManageAccessRequirement(Everywhere: true)))
        .AddPolicy(ManageAccessAnywhere, policy => policy.RequireAuthenticatedUser().AddRequirements(new ManageAccessRequirement(Everywhere: false)));
}

public sealed record ManageAccessRequirement(bool Everywhere) : IAuthorizationRequirement;

public sealed class ManageAccessHandler(AccessControl access) : AuthorizationHandler<ManageAccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ManageAccessRequirement requirement)
    {
        var allowed = requirement.Everywhere
            ? access.Allows(context.User, AccessPaths.Root, Permission.ManageAccess)
            : access.AllowsAnywhere(context.User, Permission.ManageAccess);
        if (allowed)
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
