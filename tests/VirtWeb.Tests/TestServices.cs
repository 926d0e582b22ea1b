using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace VirtWeb.Tests;

/// <summary>The one setup every component test shares.</summary>
public static class TestServices
{
    public static BunitContext AddTestServices(this BunitContext context)
    {
        context.Services.AddMudServices(options => options.PopoverOptions.CheckForPopoverProvider = false);
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        return context;
    }

    public static BunitAuthorizationContext SignInAs(this BunitContext context, string userName, params string[] roles)
    {
        var authorization = context.AddAuthorization();
        authorization.SetAuthorized(userName);
        authorization.SetRoles(roles);
        authorization.SetClaims([.. roles.Select(r => new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, r))]);
        return authorization;
    }
}
