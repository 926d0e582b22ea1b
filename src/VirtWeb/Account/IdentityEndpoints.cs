using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace VirtWeb.Account;

internal static class IdentityEndpoints
{
    /// <summary>The endpoints the Account pages post to that are not pages themselves.</summary>
    public static IEndpointConventionBuilder MapIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var accountGroup = endpoints.MapGroup("/Account");

        // A form post with an antiforgery token, never a GET, so a link on another site cannot sign anyone out.
        accountGroup.MapPost("/Logout", async (
            HttpContext context,
            [FromServices] SignInManager<ApplicationUser> signInManager,
            [FromServices] AuditLog audit) =>
        {
            if (context.User.Identity?.IsAuthenticated == true)
            {
                await audit.WriteAsync(context.User, "signout", $"/users/{context.User.Identity.Name}", AuditOutcome.Success,
                    remoteAddress: context.Connection.RemoteIpAddress?.ToString());
            }

            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect("~/Account/Login");
        }).AllowAnonymous();

        return accountGroup;
    }
}
