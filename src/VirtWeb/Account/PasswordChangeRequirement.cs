namespace VirtWeb.Account;

/// <summary>
/// Sends a user whose password an Administrator set to the change-password page until they have chosen their own, and
/// then an Administrator without two-factor sign-in (where it is required) to the authenticator set-up page. Static
/// files, the sign-out endpoint and those pages stay reachable.
/// </summary>
public static class PasswordChangeRequirement
{
    public const string ChangePasswordPath = "/Account/Manage/ChangePassword";

    public const string EnableAuthenticatorPath = "/Account/Manage/EnableAuthenticator";

    public static IApplicationBuilder UsePasswordChangeRequirement(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            var required = context.User switch
            {
                var user when user.HasClaim(VirtWebClaimsFactory.MustChangePasswordClaim, "true") => ChangePasswordPath,
                var user when user.HasClaim(VirtWebClaimsFactory.MustEnableTwoFactorClaim, "true") => EnableAuthenticatorPath,
                _ => null,
            };
            if (required is not null
                && HttpMethods.IsGet(context.Request.Method)
                && !path.StartsWithSegments(required)
                && !path.StartsWithSegments("/Account/Logout")
                && !path.StartsWithSegments("/_framework")
                && !path.StartsWithSegments("/_content")
                && !path.StartsWithSegments("/_blazor")
                && !Path.HasExtension(path.Value))
            {
                context.Response.Redirect(required + "?required=true");
                return Task.CompletedTask;
            }

            return next(context);
        });
}
