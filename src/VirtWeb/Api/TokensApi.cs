using Microsoft.AspNetCore.Mvc;
using VirtWeb.Api.Tokens;

namespace VirtWeb.Api;

/// <summary>
/// API tokens: one's own, and everyone's for Administrators; revoke. A token is made with the sign-in cookie (the
/// account page, or this endpoint from a signed-in browser); a token cannot make tokens.
/// </summary>
public static class TokensApi
{
    public static RouteGroupBuilder MapTokensApi(this RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").WithTags("Tokens");
        tokens.MapGet("", (ClaimsPrincipal user, ApiTokenService service, CancellationToken cancellationToken) =>
            service.ListOwnAsync(user, cancellationToken)).WithName("ListOwnTokens");
        tokens.MapGet("/all", (ClaimsPrincipal user, ApiTokenService service, CancellationToken cancellationToken) =>
            service.ListAllAsync(user, cancellationToken)).WithName("ListAllTokens");
        tokens.MapPost("", async (ClaimsPrincipal user, ApiTokenService service, [FromBody] ApiTokenRequest request, CancellationToken cancellationToken) =>
        {
            var issued = await service.IssueAsync(user, request, cancellationToken);
            return TypedResults.Created($"{ApiRoutes.V1}/tokens/{issued.Token.Id}", issued);
        }).WithName("IssueToken");
        tokens.MapDelete("/{tokenId}", async (ClaimsPrincipal user, ApiTokenService service, Guid tokenId, CancellationToken cancellationToken) =>
        {
            await service.RevokeAsync(user, tokenId, cancellationToken);
            return TypedResults.NoContent();
        }).WithName("RevokeToken");
        return api;
    }
}
