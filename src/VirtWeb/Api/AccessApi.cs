using Microsoft.AspNetCore.Mvc;

namespace VirtWeb.Api;

public sealed record UserCreateRequest(string UserName, string Role);

public sealed record UserRoleRequest(string Role);

/// <summary>A password VirtWeb generated, to hand over once; the user must change it at first sign-in.</summary>
public sealed record GeneratedPassword(string Password);

public sealed record GrantRequest(string UserName, string Path, AccessRole Role);

/// <summary>Users and grants (Administrators) and the audit trail, through the Users, Grants and Audit pages' services.</summary>
public static class AccessApi
{
    public static RouteGroupBuilder MapAccessApi(this RouteGroupBuilder api)
    {
        var users = api.MapGroup("/users").WithTags("Users");
        users.MapGet("", (ClaimsPrincipal user, UserDirectory directory, CancellationToken cancellationToken) =>
            directory.ListAsync(user, cancellationToken)).WithName("ListUsers");
        users.MapPost("", async (ClaimsPrincipal user, UserDirectory directory, [FromBody] UserCreateRequest request) =>
            TypedResults.Created($"{ApiRoutes.V1}/users", new GeneratedPassword(await directory.CreateAsync(user, request.UserName, request.Role))))
            .WithName("CreateUser").WithMetadata(new GuestFailureStatus(StatusCodes.Status422UnprocessableEntity));
        users.MapPut("/{userId}/role", (ClaimsPrincipal user, UserDirectory directory, string userId, [FromBody] UserRoleRequest request) =>
            NoContent(directory.SetRoleAsync(user, userId, request.Role))).WithName("SetUserRole");
        users.MapPost("/{userId}/disable", (ClaimsPrincipal user, UserDirectory directory, string userId) =>
            NoContent(directory.DisableAsync(user, userId))).WithName("DisableUser");
        users.MapPost("/{userId}/enable", (ClaimsPrincipal user, UserDirectory directory, string userId) =>
            NoContent(directory.EnableAsync(user, userId))).WithName("EnableUser");
        users.MapPost("/{userId}/unlock", (ClaimsPrincipal user, UserDirectory directory, string userId) =>
            NoContent(directory.UnlockAsync(user, userId))).WithName("UnlockUser");
        users.MapPost("/{userId}/reset-password", async (ClaimsPrincipal user, UserDirectory directory, string userId) =>
            new GeneratedPassword(await directory.ResetPasswordAsync(user, userId))).WithName("ResetUserPassword");

        var grants = api.MapGroup("/grants").WithTags("Grants");
        grants.MapGet("", (ClaimsPrincipal user, GrantDirectory directory, CancellationToken cancellationToken) =>
            directory.ListAsync(user, cancellationToken)).WithName("ListGrants");
        grants.MapPut("", (ClaimsPrincipal user, GrantDirectory directory, [FromBody] GrantRequest request, CancellationToken cancellationToken) =>
            NoContent(directory.SetAsync(user, request.UserName, request.Path, request.Role, cancellationToken))).WithName("SetGrant");
        grants.MapDelete("/{grantId}", (ClaimsPrincipal user, GrantDirectory directory, long grantId, CancellationToken cancellationToken) =>
            NoContent(directory.RemoveAsync(user, grantId, cancellationToken))).WithName("RemoveGrant");

        api.MapGet("/audit", SearchAsync).WithTags("Audit").WithName("SearchAudit");
        return api;
    }

    private static Task<IReadOnlyList<AuditRecord>> SearchAsync(
        ClaimsPrincipal user, AuditSearch search, string? userName = null, string? target = null, string? action = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, int limit = 200, CancellationToken cancellationToken = default) =>
        search.SearchAsync(user, new AuditQuery(userName, target, action, from, to, limit), cancellationToken);

    internal static async Task<IResult> NoContent(Task change)
    {
        try
        {
            await change;
        }
        catch (InvalidOperationException e)
        {
            // The user directory's refusals (the last Administrator, an unknown role): the request cannot be met as asked.
            throw new ApiInputException(e.Message, StatusCodes.Status422UnprocessableEntity);
        }

        return TypedResults.NoContent();
    }
}
