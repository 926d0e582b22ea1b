using Microsoft.AspNetCore.Identity;

namespace VirtWeb.Access;

public sealed record UserSummary(
    string Id,
    string UserName,
    IReadOnlyList<string> Roles,
    bool TwoFactorEnabled,
    int AccessFailedCount,
    DateTimeOffset? LockedOutUntil,
    bool IsDisabled,
    bool MustChangePassword);

/// <summary>What an Administrator does to accounts. Each change is checked, audited and ends the user's sessions when it
/// takes something away (their security stamp changes, so open circuits fail revalidation within a minute).</summary>
public sealed class UserDirectory(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    IServiceScopeFactory scopes,
    AuditLog audit,
    AccessControl access,
    TimeProvider timeProvider)
{
    public const int MaxUserNameLength = 64;

    public async Task<IReadOnlyList<UserSummary>> ListAsync(ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageAccess, "user.list", "/users", "list user accounts");

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
                u.LockoutEnd > now && !u.IsDisabled ? u.LockoutEnd : null,
                u.IsDisabled,
                u.MustChangePassword))
            .ToList();
    }

    /// <summary>Creates an account with one role and a generated password the user must change; returns that password.</summary>
    public async Task<string> CreateAsync(ClaimsPrincipal caller, string? userName, string role)
    {
        var name = userName?.Trim() ?? "";
        await access.RequireAsync(caller, Permission.ManageAccess, "user.create", $"/users/{name}", "create user accounts");
        var problem = name switch
        {
            "" => "Give the account a user name.",
            { Length: > MaxUserNameLength } => $"The user name is {name.Length} characters long; keep it to {MaxUserNameLength}.",
            _ when name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)) => "The user name contains a space or control character; use letters, digits, '-', '.', '_' or '@'.",
            _ when !Roles.Assignable.Contains(role) => $"Unknown role '{role}'; choose {string.Join(", ", Roles.Assignable)}.",
            _ => null,
        };
        if (problem is not null)
        {
            await audit.WriteAsync(caller, "user.create", $"/users/{name}", AuditOutcome.Failure, problem);
            throw new InvalidOperationException(problem);
        }

        var password = IdentitySeeder.GeneratePassword();
        await WithUsersAsync(async users =>
        {
            var user = new ApplicationUser { UserName = name, MustChangePassword = true };
            await CheckAsync(caller, "user.create", name, await users.CreateAsync(user, password));
            if (role != Roles.None)
            {
                await CheckAsync(caller, "user.create", name, await users.AddToRoleAsync(user, role));
            }
        });
        await audit.WriteAsync(caller, "user.create", $"/users/{name}", AuditOutcome.Success, $"role {role}");
        await access.ChangedHereAsync();
        return password;
    }

    public Task SetRoleAsync(ClaimsPrincipal caller, string userId, string role) =>
        ChangeAsync(caller, userId, "user.role", "change roles", takesAway: true, async (users, user) =>
        {
            if (!Roles.Assignable.Contains(role))
            {
                return $"Unknown role '{role}'; choose {string.Join(", ", Roles.Assignable)}.";
            }

            if (role != Roles.Administrator && await IsLastActiveAdministratorAsync(users, user))
            {
                return $"{user.UserName} is the last active Administrator; make someone else an Administrator first.";
            }

            var current = await users.GetRolesAsync(user);
            await users.RemoveFromRolesAsync(user, current);
            if (role != Roles.None)
            {
                await users.AddToRoleAsync(user, role);
            }
            return null;
        }, $"role {role}");

    public Task DisableAsync(ClaimsPrincipal caller, string userId) =>
        ChangeAsync(caller, userId, "user.disable", "disable accounts", takesAway: true, async (users, user) =>
        {
            if (await IsLastActiveAdministratorAsync(users, user))
            {
                return $"{user.UserName} is the last active Administrator; it cannot be disabled.";
            }

            user.IsDisabled = true;
            await users.UpdateAsync(user);
            return null;
        });

    public Task EnableAsync(ClaimsPrincipal caller, string userId) =>
        ChangeAsync(caller, userId, "user.enable", "enable accounts", takesAway: false, async (users, user) =>
        {
            user.IsDisabled = false;
            await users.UpdateAsync(user);
            return null;
        });

    public Task UnlockAsync(ClaimsPrincipal caller, string userId) =>
        ChangeAsync(caller, userId, "user.unlock", "unlock accounts", takesAway: false, async (users, user) =>
        {
            await users.SetLockoutEndDateAsync(user, null);
            await users.ResetAccessFailedCountAsync(user);
            return null;
        });

    /// <summary>Sets a generated password the user must change at next sign-in; returns it, to be handed over once.</summary>
    public async Task<string> ResetPasswordAsync(ClaimsPrincipal caller, string userId)
    {
        var password = IdentitySeeder.GeneratePassword();
        await ChangeAsync(caller, userId, "user.reset-password", "reset passwords", takesAway: true, async (users, user) =>
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            var result = await users.ResetPasswordAsync(user, token, password);
            if (!result.Succeeded)
            {
                return string.Join(" ", result.Errors.Select(e => e.Description));
            }

            user.MustChangePassword = true;
            await users.UpdateAsync(user);
            return null;
        });
        return password;
    }

    private async Task ChangeAsync(
        ClaimsPrincipal caller,
        string userId,
        string action,
        string description,
        bool takesAway,
        Func<UserManager<ApplicationUser>, ApplicationUser, Task<string?>> change,
        string? detail = null)
    {
        var target = $"/users/{userId}";
        await access.RequireAsync(caller, Permission.ManageAccess, action, target, description);
        string? problem = null;
        string? name = null;
        await WithUsersAsync(async users =>
        {
            var user = await users.FindByIdAsync(userId);
            if (user is null)
            {
                problem = "This account no longer exists.";
                return;
            }

            name = user.UserName;
            problem = await change(users, user);
            if (problem is null && takesAway)
            {
                // A new stamp makes the user's cookies and open circuits fail revalidation.
                await users.UpdateSecurityStampAsync(user);
            }
        });

        target = name is null ? target : $"/users/{name}";
        await audit.WriteAsync(caller, action, target, problem is null ? AuditOutcome.Success : AuditOutcome.Failure, problem ?? detail);
        if (problem is not null)
        {
            throw new InvalidOperationException(problem);
        }

        // A demotion or a disabled account counts from the user's next action, not from their next sign-in check.
        await access.ChangedHereAsync();
    }

    private static async Task<bool> IsLastActiveAdministratorAsync(UserManager<ApplicationUser> users, ApplicationUser user)
    {
        if (!await users.IsInRoleAsync(user, Roles.Administrator))
        {
            return false;
        }

        var administrators = await users.GetUsersInRoleAsync(Roles.Administrator);
        return administrators.Count(a => !a.IsDisabled && a.Id != user.Id) == 0;
    }

    private async Task WithUsersAsync(Func<UserManager<ApplicationUser>, Task> action)
    {
        // A scope per change: a circuit lives for hours, and a long-lived UserManager would act on stale rows.
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<VirtWebDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();

        // One account change at a time across every VirtWeb instance, so two Administrators demoting each other at
        // once cannot both pass the last-Administrator check.
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtext('virtweb.users'))");
        await action(scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>());
        await transaction.CommitAsync();
    }

    private async Task CheckAsync(ClaimsPrincipal caller, string action, string name, IdentityResult result)
    {
        if (!result.Succeeded)
        {
            var message = string.Join(" ", result.Errors.Select(e => e.Description));
            await audit.WriteAsync(caller, action, $"/users/{name}", AuditOutcome.Failure, message);
            throw new InvalidOperationException(message);
        }
    }
}
