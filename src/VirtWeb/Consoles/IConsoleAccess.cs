using Microsoft.AspNetCore.Identity;

namespace VirtWeb.Consoles;

/// <summary>
/// Whether a user may still use a console that is open. Asked when the websocket opens and again every
/// <see cref="ConsoleOptions.RecheckInterval"/> while it stays open, so a withdrawn right ends the console.
/// </summary>
public interface IConsoleAccess
{
    Task<bool> MayStillUseAsync(string userId, Guid hostId, Guid uuid, CancellationToken cancellationToken);
}

/// <summary>
/// Reads the account afresh (never the cookie's claims, which may be a minute old): it must exist and be neither
/// disabled nor locked out, and its role as stored now, with its grants, must allow the guest's console.
/// </summary>
public sealed class GrantConsoleAccess(IServiceScopeFactory scopes, AccessControl access) : IConsoleAccess
{
    public async Task<bool> MayStillUseAsync(string userId, Guid hostId, Guid uuid, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = await users.FindByIdAsync(userId);
        if (user is null || user.IsDisabled || await users.IsLockedOutAsync(user))
        {
            return false;
        }

        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, user.Id), new(ClaimTypes.Name, user.UserName ?? user.Id) };
        claims.AddRange((await users.GetRolesAsync(user)).Select(role => new Claim(ClaimTypes.Role, role)));
        var now = new ClaimsPrincipal(new ClaimsIdentity(claims, "stored"));
        return access.Allows(now, AccessPaths.Guest(hostId, uuid), Permission.Console);
    }
}
