using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;

namespace VirtWeb.Consoles;

/// <summary>
/// A random id for each sign-in, carried in the auth cookie, so a console ticket can be bound to the sign-in session
/// that asked for it and not merely to the user. Identity has no such id: its security stamp is per user, and the
/// cookie itself is re-issued every minute by the security stamp check. The id is added when the cookie is first
/// issued and carried over each time the stamp check rebuilds the principal.
/// </summary>
public static class SignInSession
{
    public const string ClaimType = "virtweb:sign_in_session";

    public static string? Of(ClaimsPrincipal user) => user.FindFirstValue(ClaimType);

    /// <summary>An API token's "session": its own id, which no sign-in cookie carries.</summary>
    public static string ForApiToken(Guid tokenId) => $"{ApiTokenPrefix}{tokenId:N}";

    /// <summary>The API token a session id of <see cref="ForApiToken"/> names, else null (a browser's sign-in).</summary>
    public static Guid? ApiTokenOf(string? sessionId) =>
        sessionId is not null && sessionId.StartsWith(ApiTokenPrefix, StringComparison.Ordinal) && Guid.TryParseExact(sessionId[ApiTokenPrefix.Length..], "N", out var id)
            ? id
            : null;

    private const string ApiTokenPrefix = "api-token:";

    public static IServiceCollection AddSignInSessionIds(this IServiceCollection services)
    {
        services.ConfigureApplicationCookie(options =>
        {
            var signingIn = options.Events.OnSigningIn;
            options.Events.OnSigningIn = async context =>
            {
                if (context.Principal?.Identity is ClaimsIdentity identity && identity.FindFirst(ClaimType) is null)
                {
                    identity.AddClaim(NewClaim());
                }
                await signingIn(context);
            };
        });
        services.Configure<SecurityStampValidatorOptions>(options =>
        {
            var refreshing = options.OnRefreshingPrincipal;
            options.OnRefreshingPrincipal = async context =>
            {
                if (context.NewPrincipal?.Identity is ClaimsIdentity identity && identity.FindFirst(ClaimType) is null)
                {
                    // A cookie from before this claim existed gets one at its next check; that session then keeps it.
                    identity.AddClaim(context.CurrentPrincipal?.FindFirst(ClaimType) is { } current ? new Claim(ClaimType, current.Value) : NewClaim());
                }
                if (refreshing is not null)
                {
                    await refreshing(context);
                }
            };
        });
        return services;
    }

    private static Claim NewClaim() => new(ClaimType, Convert.ToHexString(RandomNumberGenerator.GetBytes(16)));
}
