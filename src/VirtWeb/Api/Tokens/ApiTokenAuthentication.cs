using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace VirtWeb.Api.Tokens;

/// <summary>
/// <c>Authorization: Bearer vwt_...</c>, on <c>/api</c> only: pages, the Blazor circuit, the live hub and console
/// websockets authenticate with the sign-in cookie alone, so a token never opens them.
/// </summary>
public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "VirtWeb.ApiToken";

    /// <summary>The scheme the API endpoints use: the token when a request carries one, else the sign-in cookie.</summary>
    public const string ApiSchemeName = "VirtWeb.Api";

    private const string FailureItem = "virtweb:token-failure";

    public static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization is [{ } value, ..] && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Path.StartsWithSegments(ApiRoutes.Prefix) || !HasBearer(Request))
        {
            return AuthenticateResult.NoResult();
        }

        var token = Request.Headers.Authorization.ToString()["Bearer ".Length..];
        var result = await validator.ValidateAsync(token, Context.Connection.RemoteIpAddress?.ToString(), Context.RequestAborted);
        if (result.Principal is null)
        {
            Context.Items[FailureItem] = result.Failure;
            return AuthenticateResult.Fail(result.Failure!);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(result.Principal, SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = Context.Items.ContainsKey(FailureItem) ? "Bearer error=\"invalid_token\"" : "Bearer";
        return ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            Context.Items[FailureItem] as string ?? "Send an API token as 'Authorization: Bearer vwt_...'; make one on your account page.");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ApiProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, "This token may not use this endpoint.");
}
