using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using VirtWeb.Data;

namespace VirtWeb.Access;

public sealed record UserSummary(
    string Id,
    string UserName,
    IReadOnlyList<string> Roles,
    bool TwoFactorEnabled,
    int AccessFailedCount,
    DateTimeOffset? LockedOutUntil);

/// <summary>Reads the user accounts for Administrators.</summary>
public sealed class UserDirectory(IDbContextFactory<VirtWebDbContext> dbFactory, TimeProvider timeProvider)
{
    public async Task<IReadOnlyList<UserSummary>> ListAsync(ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        caller.Require(Roles.Administrator, "list user accounts");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var roleNames = await (
            from userRole in db.UserRoles
            join role in db.Roles on userRole.RoleId equals role.Id
            select new { userRole.UserId, role.Name }).ToListAsync(cancellationToken);
        var rolesByUser = roleNames.ToLookup(r => r.UserId, r => r.Name!);

        var users = await db.Users.AsNoTracking().OrderBy(u => u.UserName).ToListAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        return users.Select(u => new UserSummary(
                u.Id,
                u.UserName ?? u.Id,
                Roles.All.Where(rolesByUser[u.Id].Contains).ToList(),
                u.TwoFactorEnabled,
                u.AccessFailedCount,
                u.LockoutEnd > now ? u.LockoutEnd : null))
            .ToList();
    }
}
