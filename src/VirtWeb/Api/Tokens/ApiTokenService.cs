namespace VirtWeb.Api.Tokens;

/// <summary>What the token page (or an Administrator) asks for: a name, an expiry and an optional narrowing.</summary>
public sealed record ApiTokenRequest(string? Name, DateTimeOffset? ExpiresAt = null, AccessRole? Role = null, IReadOnlyList<string>? Paths = null);

public sealed record ApiTokenSummary(
    Guid Id,
    string UserId,
    string UserName,
    string Name,
    string Prefix,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RevokedBy,
    AccessRole? Role,
    IReadOnlyList<string> Paths,
    DateTimeOffset? LastUsedAt,
    string? LastUsedFrom);

/// <summary>A new token: <see cref="Secret"/> is the whole token, shown once and never stored.</summary>
public sealed record IssuedApiToken(ApiTokenSummary Token, string Secret);

/// <summary>A token request that cannot be met as asked; the message says what to change.</summary>
public sealed class ApiTokenException(string message) : Exception(message);

/// <summary>
/// Issues, lists and revokes API tokens. Everyone issues tokens for themselves, signed in (a token cannot make
/// tokens, so it can never outlive or outgrow what issued it); everyone lists and revokes their own; whoever manages
/// access on <c>/</c> (Administrators) lists and revokes everyone's. Every change is audited under
/// <c>/users/{name}/tokens/{id}</c>.
/// </summary>
public sealed class ApiTokenService(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    InstallationIdentity installation,
    AccessControl access,
    AuditLog audit,
    TimeProvider timeProvider)
{
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(90);
    public static readonly TimeSpan MaximumLifetime = TimeSpan.FromDays(365);

    public async Task<IssuedApiToken> IssueAsync(ClaimsPrincipal caller, ApiTokenRequest request, CancellationToken cancellationToken = default)
    {
        const string action = "token.issue";
        var userId = caller.FindFirstValue(ClaimTypes.NameIdentifier);
        var userName = caller.Identity?.Name ?? userId ?? "";
        var target = $"/users/{userName}/tokens";
        if (caller.Identity?.IsAuthenticated != true || userId is null)
        {
            throw new AccessDeniedException("Sign in to make an API token.");
        }

        if (ApiTokenScope.Of(caller) is not null)
        {
            const string refusal = "An API token cannot make API tokens; sign in to VirtWeb's account page to make one.";
            await audit.WriteAsync(caller, action, target, AuditOutcome.Denied, refusal);
            throw new AccessDeniedException(refusal);
        }

        var now = timeProvider.GetUtcNow();
        var (valid, problem) = Validate(request, now);
        if (problem is not null)
        {
            await audit.WriteAsync(caller, action, target, AuditOutcome.Failure, problem);
            throw new ApiTokenException(problem);
        }

        var installationId = await installation.IdAsync(cancellationToken);
        var secret = ApiTokenFormat.NewSecret();
        var id = Guid.NewGuid();
        var tag = InstallationIdentity.TagOf(installationId);
        var record = new ApiTokenRecord
        {
            Id = id,
            UserId = userId,
            Name = valid.Name!,
            Prefix = ApiTokenFormat.PrefixOf(tag, id),
            SecretHash = ApiTokenFormat.Hash(installationId, secret),
            CreatedAt = now,
            ExpiresAt = valid.ExpiresAt!.Value,
            Role = valid.Role,
            Paths = [.. valid.Paths!],
        };
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.ApiTokens.Add(record);
            await db.SaveChangesAsync(CancellationToken.None);
        }

        await audit.WriteAsync(caller, action, $"{target}/{id}", AuditOutcome.Success,
            $"{record.Prefix} '{record.Name}', until {record.ExpiresAt:u}, role {record.Role?.ToString() ?? "the user's"}, paths {(record.Paths.Count == 0 ? "all" : string.Join(", ", record.Paths))}");
        return new IssuedApiToken(Summarize(record, userName), ApiTokenFormat.Compose(tag, id, secret));
    }

    /// <summary>The caller's own tokens, newest first.</summary>
    public async Task<IReadOnlyList<ApiTokenSummary>> ListOwnAsync(ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        var userId = caller.FindFirstValue(ClaimTypes.NameIdentifier);
        if (caller.Identity?.IsAuthenticated != true || userId is null)
        {
            throw new AccessDeniedException("Sign in to see your API tokens.");
        }

        return await QueryAsync(t => t.UserId == userId, cancellationToken);
    }

    /// <summary>Every user's tokens, for Administrators.</summary>
    public async Task<IReadOnlyList<ApiTokenSummary>> ListAllAsync(ClaimsPrincipal caller, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageAccess, "token.list", "/users", "see every user's API tokens");
        return await QueryAsync(_ => true, cancellationToken);
    }

    /// <summary>Revokes a token: its next call gets 401. The owner or an Administrator may; anyone else is refused.</summary>
    public async Task RevokeAsync(ClaimsPrincipal caller, Guid tokenId, CancellationToken cancellationToken = default)
    {
        const string action = "token.revoke";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var token = await db.ApiTokens.FirstOrDefaultAsync(t => t.Id == tokenId, cancellationToken);
        var ownerName = token is null ? null : await db.Users.Where(u => u.Id == token.UserId).Select(u => u.UserName).FirstOrDefaultAsync(cancellationToken);
        var target = $"/users/{ownerName ?? "?"}/tokens/{tokenId}";
        var own = token is not null && token.UserId == caller.FindFirstValue(ClaimTypes.NameIdentifier) && caller.Identity?.IsAuthenticated == true;
        if (!own)
        {
            // Someone else's token, or none at all: only an Administrator learns which.
            await access.RequireAsync(caller, Permission.ManageAccess, action, target, "revoke another user's API token");
        }

        if (token is null)
        {
            throw new ApiTokenNotFoundException($"There is no API token {tokenId}; it may have been deleted with its user.");
        }

        if (token.RevokedAt is null)
        {
            token.RevokedAt = timeProvider.GetUtcNow();
            token.RevokedBy = caller.Identity!.Name;
            await db.SaveChangesAsync(CancellationToken.None);
        }

        await audit.WriteAsync(caller, action, target, AuditOutcome.Success, $"{token.Prefix} '{token.Name}'");
    }

    private async Task<IReadOnlyList<ApiTokenSummary>> QueryAsync(System.Linq.Expressions.Expression<Func<ApiTokenRecord, bool>> filter, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await (
            from token in db.ApiTokens.AsNoTracking().Where(filter)
            join user in db.Users on token.UserId equals user.Id
            orderby token.CreatedAt descending
            select new { token, user.UserName }).ToListAsync(cancellationToken);
        return rows.Select(r => Summarize(r.token, r.UserName ?? r.token.UserId)).ToList();
    }

    private static ApiTokenSummary Summarize(ApiTokenRecord t, string userName) =>
        new(t.Id, t.UserId, userName, t.Name, t.Prefix, t.CreatedAt, t.ExpiresAt, t.RevokedAt, t.RevokedBy, t.Role, t.Paths, t.LastUsedAt, t.LastUsedFrom);

    private static (ApiTokenRequest Valid, string? Problem) Validate(ApiTokenRequest request, DateTimeOffset now)
    {
        var name = request.Name?.Trim() ?? "";
        var expires = request.ExpiresAt ?? now + DefaultLifetime;
        var paths = new List<string>();
        foreach (var path in request.Paths ?? [])
        {
            var (normalized, pathProblem) = AccessPaths.Normalize(path);
            if (pathProblem is not null)
            {
                return (request, pathProblem);
            }

            if (!paths.Contains(normalized!))
            {
                paths.Add(normalized!);
            }
        }

        var problem = name switch
        {
            "" => "Give the token a name that says what uses it, such as 'backup script'.",
            { Length: > ApiTokenLimits.NameLength } => $"The name is {name.Length} characters long; keep it to {ApiTokenLimits.NameLength}.",
            _ when name.Any(char.IsControl) => "The name holds a control character; use letters, digits, spaces and punctuation.",
            _ when expires <= now => "The expiry is in the past; choose a date after today.",
            _ when expires > now + MaximumLifetime => $"A token lives at most {MaximumLifetime.TotalDays:0} days; choose an earlier expiry.",
            _ when request.Role is { } role && !Enum.IsDefined(role) => $"'{role}' is not a role; choose Viewer, Operator or Administrator, or none to keep your own.",
            _ when request.Role == AccessRole.NoAccess => "A token with NoAccess could do nothing; choose Viewer, Operator or Administrator.",
            _ when paths.Count > ApiTokenLimits.MaxPaths => $"A token names at most {ApiTokenLimits.MaxPaths} paths.",
            _ => null,
        };
        return (request with { Name = name, ExpiresAt = expires, Paths = paths }, problem);
    }
}

public sealed class ApiTokenNotFoundException(string message) : Exception(message);
