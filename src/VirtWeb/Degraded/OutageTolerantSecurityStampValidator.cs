using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace VirtWeb.Degraded;

/// <summary>
/// Identity re-checks a sign-in cookie's security stamp every minute against the database; with the database down that
/// check would fail every request of a signed-in user with a 500. While it cannot be reached the cookie stays as it is
/// (it was checked before the outage, and every action is refused meanwhile), and the check runs again once it is back.
/// </summary>
internal sealed class OutageTolerantSecurityStampValidator(
    IOptions<SecurityStampValidatorOptions> options,
    SignInManager<ApplicationUser> signInManager,
    ILoggerFactory logger,
    DatabaseHealth health) : SecurityStampValidator<ApplicationUser>(options, signInManager, logger)
{
    public override async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (!health.IsReachable)
        {
            return;
        }

        try
        {
            await base.ValidateAsync(context);
        }
        catch (Exception e) when (DatabaseHealth.IsUnreachable(e))
        {
            health.ReportFailure(e);
        }
    }
}
