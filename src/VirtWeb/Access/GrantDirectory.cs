using Npgsql;

namespace VirtWeb.Access;

/// <summary>One grant as the grants page lists it.</summary>
public sealed record GrantSummary(long Id, string UserId, string UserName, string Path, AccessRole Role, string GrantedBy, DateTimeOffset GrantedAt);

/// <summary>A grant that cannot be given as asked (an unknown user, a path that names no object).</summary>
public sealed class InvalidGrantException(string message) : Exception(message);

/// <summary>
/// Gives and takes away per-object grants. Whoever manages access on a path (an Administrator there) may grant on it and
/// below, never a role above their own there, and never to themselves. Every change is audited and in force at once.
/// </summary>
public sealed class GrantDirectory(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    AccessControl access,
    AuditLog audit,
    TimeProvider timeProvider)
{
    /// <summary>The grants on paths the caller manages access on.</summary>
    public async Task<IReadOnlyList<GrantSummary>> ListAsync(ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        RequireSignedIn(caller, "see access grants");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (
            from grant in db.AccessGrants.AsNoTracking()
            join user in db.Users on grant.UserId equals user.Id
            orderby grant.Path, user.UserName
            select new GrantSummary(grant.Id, grant.UserId, user.UserName ?? user.Id, grant.Path, grant.Role, grant.GrantedBy, grant.GrantedAt))
            .ToListAsync(cancellationToken);
        return rows.Where(g => access.Allows(caller, g.Path, Permission.ManageAccess)).ToList();
    }

    /// <summary>The user names the caller can pick from, when they manage access anywhere.</summary>
    public async Task<IReadOnlyList<string>> UserNamesAsync(ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        RequireSignedIn(caller, "see access grants");
        if (!access.AllowsAnywhere(caller, Permission.ManageAccess))
        {
            return [];
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking().Where(u => !u.IsDisabled).OrderBy(u => u.UserName).Select(u => u.UserName ?? u.Id).ToListAsync(cancellationToken);
    }

    /// <summary>Gives <paramref name="userName"/> <paramref name="role"/> on <paramref name="path"/>, replacing a grant they hold there.</summary>
    public async Task SetAsync(ClaimsPrincipal caller, string? userName, string? path, AccessRole role, CancellationToken cancellationToken = default)
    {
        var (normalized, problem) = AccessPaths.Normalize(path);
        var target = normalized ?? path ?? "";
        await access.RequireAsync(caller, Permission.ManageAccess, "grant.set", target, "grant access");
        if (problem is null && !Enum.IsDefined(role))
        {
            problem = $"'{role}' is not a role; choose NoAccess, Viewer, Operator or Administrator.";
        }

        await RequireMayGrantAsync(caller, "grant.set", target, role);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var name = userName?.Trim() ?? "";
        var user = problem is null
            ? await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.NormalizedUserName == name.ToUpperInvariant(), cancellationToken)
            : null;
        problem ??= user switch
        {
            null => name.Length == 0 ? "Choose the user the grant is for." : $"There is no user named '{name}'. Check the name on the Users page.",
            _ when user.Id == caller.FindFirstValue(ClaimTypes.NameIdentifier) =>
                "You cannot change your own access; ask another Administrator.",
            _ => null,
        };
        if (problem is not null)
        {
            await audit.WriteAsync(caller, "grant.set", target, AuditOutcome.Failure, problem);
            throw new InvalidGrantException(problem);
        }

        await UpsertAsync(db, user!.Id, normalized!, role, caller.Identity!.Name ?? "", cancellationToken);
        await audit.WriteAsync(caller, "grant.set", normalized!, AuditOutcome.Success, $"{user.UserName} is {role} here");
        await access.ChangedHereAsync();
    }

    public async Task RemoveAsync(ClaimsPrincipal caller, long grantId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var grant = await db.AccessGrants.FirstOrDefaultAsync(g => g.Id == grantId, cancellationToken);
        var target = grant?.Path ?? AccessPaths.Root;
        await access.RequireAsync(caller, Permission.ManageAccess, "grant.remove", target, "take access away");
        if (grant is null)
        {
            // Two Administrators removing the same grant: the second finds it gone, which is what they wanted.
            throw new InvalidGrantException("This grant was already removed.");
        }

        await RequireMayGrantAsync(caller, "grant.remove", target, grant.Role);
        var userName = await db.Users.Where(u => u.Id == grant.UserId).Select(u => u.UserName).FirstOrDefaultAsync(cancellationToken);
        db.AccessGrants.Remove(grant);
        await db.SaveChangesAsync(CancellationToken.None);
        await audit.WriteAsync(caller, "grant.remove", target, AuditOutcome.Success, $"{userName} was {grant.Role} here");
        await access.ChangedHereAsync();
    }

    private async Task RequireMayGrantAsync(ClaimsPrincipal caller, string action, string target, AccessRole role)
    {
        var held = access.RoleOn(caller, target);
        if (!AccessPolicy.MayGrant(held, role))
        {
            var message = $"You are {held} on {target} and cannot give or take away {role} there: nobody grants more than they hold.";
            await audit.WriteAsync(caller, action, target, AuditOutcome.Denied, message);
            throw new AccessDeniedException(message);
        }
    }

    private async Task UpsertAsync(VirtWebDbContext db, string userId, string path, AccessRole role, string grantedBy, CancellationToken cancellationToken)
    {
        var existing = await db.AccessGrants.FirstOrDefaultAsync(g => g.UserId == userId && g.Path == path, cancellationToken);
        if (existing is null)
        {
            db.AccessGrants.Add(new AccessGrantRecord { UserId = userId, Path = path, Role = role, GrantedBy = grantedBy, GrantedAt = timeProvider.GetUtcNow() });
        }
        else
        {
            (existing.Role, existing.GrantedBy, existing.GrantedAt) = (role, grantedBy, timeProvider.GetUtcNow());
        }

        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two Administrators granting the same user on the same path at once: the later one's role stands.
            db.ChangeTracker.Clear();
            await db.AccessGrants.Where(g => g.UserId == userId && g.Path == path)
                .ExecuteUpdateAsync(s => s.SetProperty(g => g.Role, role).SetProperty(g => g.GrantedBy, grantedBy), CancellationToken.None);
        }
    }

    private static void RequireSignedIn(ClaimsPrincipal caller, string what)
    {
        if (caller.Identity?.IsAuthenticated != true)
        {
            throw new AccessDeniedException($"Sign in to {what}.");
        }
    }
}
