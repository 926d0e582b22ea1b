using System.Collections.Frozen;
using VirtWeb.Degraded;

namespace VirtWeb.Access;

/// <summary>
/// The one place pages, the live hub and every service method ask what a user may do to an object. The user's role
/// and grants come from PostgreSQL, held in memory so that a live list can filter thousands of items per change; the
/// sign-in's role claims are used only for a user not stored (yet). Roles, disabled accounts and grants are read
/// again after every change made through VirtWeb and every <see cref="ReloadInterval"/>, so a demoted or disabled user's
/// next action is refused at once here, and within that time when another instance made the change.
/// </summary>
public sealed class AccessControl(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    AuditLog audit,
    LiveStateStore store,
    TimeProvider timeProvider,
    ILogger<AccessControl> logger,
    DatabaseHealth databaseHealth,
    IAccessChanges changes) : BackgroundService
{
    public static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(30);

    private FrozenDictionary<string, IReadOnlyList<Grant>> _grantsByUser = FrozenDictionary<string, IReadOnlyList<Grant>>.Empty;
    private FrozenDictionary<string, StoredAccount> _accounts = FrozenDictionary<string, StoredAccount>.Empty;

    /// <summary>Raised after the grants changed, so that open pages filter their lists again.</summary>
    public event Action? Changed;

    public IReadOnlyList<Grant> GrantsOf(string? userId) =>
        userId is not null && Volatile.Read(ref _grantsByUser).TryGetValue(userId, out var grants) ? grants : [];

    /// <summary>The role <paramref name="user"/> holds on <paramref name="path"/>: their grants there, else their sign-in role.</summary>
    public AccessRole RoleOn(ClaimsPrincipal user, string path)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return AccessRole.NoAccess;
        }

        var userId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        var token = ApiTokenScope.Of(user);
        var role = StoredRoleOn(user, userId, token, path);
        return token is null ? role : token.Narrow(role, path);
    }

    private AccessRole StoredRoleOn(ClaimsPrincipal user, string? userId, ApiTokenScope? token, string path)
    {
        string? globalRole;
        if (userId is not null && Volatile.Read(ref _accounts).TryGetValue(userId, out var account))
        {
            // The role as stored now, not as it was when the cookie was issued: a demotion counts from the next check.
            if (account.Disabled)
            {
                return AccessRole.NoAccess;
            }

            globalRole = account.Role;
        }
        else if (token is not null)
        {
            // A token counts only for an account stored now; it carries no role of its own.
            return AccessRole.NoAccess;
        }
        else
        {
            globalRole = Roles.All.FirstOrDefault(user.IsInRole);
        }

        var grants = GrantsOf(userId);
        // Most users hold no grant: their role applies everywhere, and a list of thousands is filtered without parsing paths.
        return grants.Count == 0 && Enum.TryParse<AccessRole>(globalRole, out var role)
            ? role
            : AccessPolicy.EffectiveRole(globalRole, grants, path);
    }

    public bool Allows(ClaimsPrincipal user, string path, Permission permission) =>
        AccessPolicy.Allows(RoleOn(user, path), permission);

    /// <summary>Whether <paramref name="user"/> holds <paramref name="permission"/> on any object: for showing a page's actions at all.</summary>
    public bool AllowsAnywhere(ClaimsPrincipal user, Permission permission) =>
        Allows(user, AccessPaths.Root, permission) ||
        ScopedPaths(user).Any(p => Allows(user, p, permission));

    /// <summary>
    /// Whether <paramref name="user"/> may see <paramref name="path"/> itself or anything below it: a host is listed
    /// for someone who holds a grant on only one of its guests, so that the guest has a host to belong to.
    /// </summary>
    public bool MaySeeAnythingUnder(ClaimsPrincipal user, string path) =>
        Allows(user, path, Permission.View) ||
        ScopedPaths(user).Any(p => p.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal) && Allows(user, p, Permission.View));

    /// <summary>The paths where the user's rights may differ from their role on <c>/</c>: their grants and their token's paths.</summary>
    private IEnumerable<string> ScopedPaths(ClaimsPrincipal user)
    {
        var grants = GrantsOf(user.FindFirstValue(ClaimTypes.NameIdentifier)).Select(g => g.Path);
        return ApiTokenScope.Of(user) is { Paths.Count: > 0 } token ? grants.Concat(token.Paths) : grants;
    }

    /// <summary>
    /// The check every protected service method makes before it touches anything; hidden buttons are only a
    /// convenience. A refusal is written to the audit trail and thrown. <paramref name="target"/> is the object's path,
    /// also used as the audit target.
    /// </summary>
    public async Task RequireAsync(ClaimsPrincipal user, Permission permission, string action, string target, string description)
    {
        // An action the audit trail cannot record is not done; checked before anything else, so nothing is half-done.
        if (databaseHealth.Refusal(description) is { } unreachable)
        {
            logger.LogWarning("Refused {User} {Action} on {Target}: the database cannot be reached.", user.Identity?.Name, action, target);
            throw new AccessDeniedException(unreachable) { DatabaseUnreachable = true };
        }

        var message = Refusal(user, permission, target, description);
        if (message is not null)
        {
            await audit.WriteAsync(user, action, target, AuditOutcome.Denied, message);
            throw new AccessDeniedException(message);
        }
    }

    /// <summary>Why <paramref name="user"/> may not do <paramref name="description"/> on <paramref name="target"/>, or null when they may.</summary>
    public string? Refusal(ClaimsPrincipal user, Permission permission, string target, string description)
    {
        if (user.Identity?.IsAuthenticated != true)
        {
            return $"Sign in to {description}.";
        }

        var role = RoleOn(user, target);
        if (AccessPolicy.Allows(role, permission))
        {
            return null;
        }

        var held = role == AccessRole.NoAccess ? "has no access there" : $"is a {role} there";
        return $"Only {AccessPolicy.Describe(permission)} may {description}; {user.Identity.Name} {held}. An Administrator can grant more on {target}.";
    }

    /// <summary>Reads every account's role and state and every grant again; called after each change and on a timer.</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.AccessGrants.AsNoTracking().ToListAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Select(u => new { u.Id, u.IsDisabled }).ToListAsync(cancellationToken);
        var roles = await (
            from userRole in db.UserRoles
            join role in db.Roles on userRole.RoleId equals role.Id
            select new { userRole.UserId, role.Name }).ToListAsync(cancellationToken);
        var rolesByUser = roles.ToLookup(r => r.UserId, r => r.Name!, StringComparer.Ordinal);
        var accounts = users.ToFrozenDictionary(u => u.Id, u => new StoredAccount(Roles.Highest(rolesByUser[u.Id]), u.IsDisabled), StringComparer.Ordinal);
        var next = rows.GroupBy(r => r.UserId, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => (IReadOnlyList<Grant>)g.Select(r => new Grant(r.UserId, r.Path, r.Role)).ToList(), StringComparer.Ordinal);
        var previousAccounts = Interlocked.Exchange(ref _accounts, accounts);
        var previous = Interlocked.Exchange(ref _grantsByUser, next);
        if (!SameGrants(previous, next) || !SameAccounts(previousAccounts, accounts))
        {
            store.Refilter();
            Changed?.Invoke();
        }
    }

    /// <summary>
    /// After a change made through this instance: reads everything again here, then tells the other instances (with
    /// several, <see cref="VirtWeb.Cluster.AccessChangeBus"/>), whose periodic re-read stays the safety net.
    /// </summary>
    public async Task ChangedHereAsync()
    {
        await ReloadAsync(CancellationToken.None);
        await changes.PublishAsync();
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the first request: a check against an empty set would let a NoAccess grant through.
        await ReloadAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(ReloadInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await ReloadAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The grants already held stay in force; the next tick tries again.
                    logger.LogWarning(e, "Reading access grants failed.");
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static bool SameAccounts(FrozenDictionary<string, StoredAccount> a, FrozenDictionary<string, StoredAccount> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var other) && other == pair.Value);

    private sealed record StoredAccount(string? Role, bool Disabled);

    private static bool SameGrants(FrozenDictionary<string, IReadOnlyList<Grant>> a, FrozenDictionary<string, IReadOnlyList<Grant>> b) =>
        a.Count == b.Count && a.All(pair => b.TryGetValue(pair.Key, out var other) && pair.Value.ToHashSet().SetEquals(other));
}
