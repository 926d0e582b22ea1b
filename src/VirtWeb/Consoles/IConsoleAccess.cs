using Microsoft.AspNetCore.Identity;
using VirtWeb.Access;
using VirtWeb.Data;

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
/// Reads the account afresh (never the cookie's claims, which may be a minute old): it must exist, not be disabled
/// or locked out, and hold Operator or Administrator. Per-object grants will replace the role test.
/// </summary>
public sealed class RoleConsoleAccess(IServiceScopeFactory scopes) : IConsoleAccess
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
        var roles = await users.GetRolesAsync(user);
        return roles.Contains(Roles.Administrator) || roles.Contains(Roles.Operator);
    }
}
