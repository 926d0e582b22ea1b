using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using VirtWeb.Data;

namespace VirtWeb.Account;

internal static class IdentityEndpoints
{
    /// <summary>The endpoints the Account pages post to that are not pages themselves.</summary>
    public static IEndpointConventionBuilder MapIdentityEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var accountGroup = endpoints.MapGroup("/Account");

        // A form post with an antiforgery token, never a GET, so a link on another site cannot sign anyone out.
        accountGroup.MapPost("/Logout", async ([FromServices] SignInManager<ApplicationUser> signInManager) =>
        {
            await signInManager.SignOutAsync();
            return TypedResults.LocalRedirect("~/Account/Login");
        }).AllowAnonymous();

        return accountGroup;
    }
}
