namespace VirtWeb.Account;

/// <summary>
/// Sends a user whose password an Administrator set to the change-password page until they have chosen their own.
/// Static files, the sign-out endpoint and the page itself stay reachable.
/// </summary>
public static class PasswordChangeRequirement
{
    public const string ChangePasswordPath = "/Account/Manage/ChangePassword";

    public static IApplicationBuilder UsePasswordChangeRequirement(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            if (context.User.HasClaim(VirtWebClaimsFactory.MustChangePasswordClaim, "true")
                && HttpMethods.IsGet(context.Request.Method)
                && !path.StartsWithSegments(ChangePasswordPath)
                && !path.StartsWithSegments("/Account/Logout")
                && !path.StartsWithSegments("/_framework")
                && !path.StartsWithSegments("/_content")
                && !path.StartsWithSegments("/_blazor")
                && !Path.HasExtension(path.Value))
            {
                context.Response.Redirect(ChangePasswordPath + "?required=true");
                return Task.CompletedTask;
            }

            return next(context);
        });
}
