using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace VirtWeb.Account;

/// <summary>Identity's sign-in manager, refusing accounts an Administrator disabled.</summary>
public sealed class VirtWebSignInManager(
    UserManager<ApplicationUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<ApplicationUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<ApplicationUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<ApplicationUser> confirmation)
    : SignInManager<ApplicationUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(ApplicationUser user) =>
        !user.IsDisabled && await base.CanSignInAsync(user);
}

/// <summary>Adds the "must change password" and "must set up two-factor" marks to the cookie, so every request can enforce them without a query.</summary>
public sealed class VirtWebClaimsFactory(
    UserManager<ApplicationUser> userManager,
    RoleManager<IdentityRole> roleManager,
    IOptions<IdentityOptions> options,
    IOptions<Access.AccessOptions> accessOptions)
    : UserClaimsPrincipalFactory<ApplicationUser, IdentityRole>(userManager, roleManager, options)
{
    public const string MustChangePasswordClaim = "virtweb:must_change_password";

    public const string MustEnableTwoFactorClaim = "virtweb:must_enable_2fa";

    protected override async Task<System.Security.Claims.ClaimsIdentity> GenerateClaimsAsync(ApplicationUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword)
        {
            identity.AddClaim(new(MustChangePasswordClaim, "true"));
        }

        if (accessOptions.Value.RequireTwoFactorForAdministrators && !user.TwoFactorEnabled
            && await UserManager.IsInRoleAsync(user, Access.Roles.Administrator))
        {
            identity.AddClaim(new(MustEnableTwoFactorClaim, "true"));
        }

        return identity;
    }
}
