using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace VirtWeb.Account;

// An open circuit keeps the principal it started with; re-checking the security stamp every minute means a
// password change, a sign-out elsewhere or a removed role reaches long-lived pages quickly.
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
        ILoggerFactory loggerFactory,
        IServiceScopeFactory scopeFactory,
        IOptions<IdentityOptions> options,
        VirtWeb.Degraded.DatabaseHealth databaseHealth)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(
        AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        // The base class signs a circuit out when this throws: with the database down the circuit keeps its user (every
        // action is refused meanwhile) and the next check, once it is back, decides.
        if (!databaseHealth.IsReachable)
        {
            return true;
        }

        // Get the user manager from a new scope to ensure it fetches fresh data
        await using var scope = scopeFactory.CreateAsyncScope();
        var userManager = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        try
        {
            return await ValidateSecurityStampAsync(userManager, authenticationState.User);
        }
        catch (Exception e) when (VirtWeb.Degraded.DatabaseHealth.IsUnreachable(e))
        {
            databaseHealth.ReportFailure(e);
            return true;
        }
    }

    private async Task<bool> ValidateSecurityStampAsync(UserManager<ApplicationUser> userManager, ClaimsPrincipal principal)
    {
        var user = await userManager.GetUserAsync(principal);
        if (user is null || user.IsDisabled)
        {
            return false;
        }
        else if (!userManager.SupportsUserSecurityStamp)
        {
            return true;
        }
        else
        {
            var principalStamp = principal.FindFirstValue(options.Value.ClaimsIdentity.SecurityStampClaimType);
            var userStamp = await userManager.GetSecurityStampAsync(user);
            return principalStamp == userStamp;
        }
    }
}
