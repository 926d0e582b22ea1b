using System.Security.Cryptography;

namespace VirtWeb.Api.Tokens;

/// <summary>
/// Turns a bearer token into its user's principal plus the token's narrowing, reading the token and the account from
/// PostgreSQL at every call: a revoked or expired token, or one whose user was disabled, locked out or deleted, stops at once.
/// </summary>
public sealed class ApiTokenValidator(IDbContextFactory<VirtWebDbContext> dbFactory, InstallationIdentity installation, TimeProvider timeProvider)
{
    /// <summary>Last use is written at most this often per token, so a busy script does not write a row per call.</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    public sealed record Result(ClaimsPrincipal? Principal, string? Failure);

    public async Task<Result> ValidateAsync(string token, string? remoteAddress, CancellationToken cancellationToken)
    {
        if (ApiTokenFormat.Parse(token) is not { } parsed)
        {
            return new(null, "That is not a VirtWeb API token (vwt_...); make one on your account page.");
        }

        var installationId = await installation.IdAsync(cancellationToken);
        if (parsed.Tag != InstallationIdentity.TagOf(installationId))
        {
            return new(null, "That token was issued by another VirtWeb installation.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await (
            from row in db.ApiTokens.AsNoTracking()
            join user in db.Users on row.UserId equals user.Id
            where row.Id == parsed.Id
            select new { row, user.UserName, user.IsDisabled, LockedUntil = user.LockoutEnabled ? user.LockoutEnd : null }).FirstOrDefaultAsync(cancellationToken);
        // One message for unknown and wrong secrets: nobody learns which token ids exist.
        if (found is null || !CryptographicOperations.FixedTimeEquals(found.row.SecretHash, ApiTokenFormat.Hash(installationId, parsed.Secret)))
        {
            return new(null, "That token is not known here; it may have been deleted, or mistyped.");
        }

        var now = timeProvider.GetUtcNow();
        var failure = found switch
        {
            { row.RevokedAt: not null } => $"The token {parsed.Prefix} was revoked; make a new one.",
            _ when found.row.ExpiresAt <= now => $"The token {parsed.Prefix} expired on {found.row.ExpiresAt:u}; make a new one.",
            { IsDisabled: true } => "The account this token belongs to is disabled.",
            // A lock-out (too many wrong passwords, or an Administrator's) stops the account's tokens as well as its sign-in.
            { LockedUntil: { } until } when until > now => $"The account this token belongs to is locked out until {until:u}.",
            _ => null,
        };
        if (failure is not null)
        {
            return new(null, failure);
        }

        if (found.row.LastUsedAt is not { } last || now - last >= LastUsedResolution || found.row.LastUsedFrom != remoteAddress)
        {
            await db.ApiTokens.Where(t => t.Id == parsed.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(t => t.LastUsedAt, now).SetProperty(t => t.LastUsedFrom, remoteAddress), CancellationToken.None);
        }

        var scope = new ApiTokenScope(found.row.Id, found.row.Role, found.row.Paths);
        var identity = new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, found.row.UserId),
                new Claim(ClaimTypes.Name, found.UserName ?? found.row.UserId),
                // Console tickets are bound to a session; a token's is its own, which no sign-in cookie carries.
                new Claim(Consoles.SignInSession.ClaimType, Consoles.SignInSession.ForApiToken(found.row.Id)),
                .. scope.Claims(),
            ],
            ApiTokenScope.AuthenticationType);
        return new(new ClaimsPrincipal(identity), null);
    }

    /// <summary>Whether a token a long call (an event stream) came with may still be used: not revoked or expired, its user enabled and not locked out.</summary>
    public async Task<bool> IsStillValidAsync(Guid tokenId, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await (
            from row in db.ApiTokens
            join user in db.Users on row.UserId equals user.Id
            where row.Id == tokenId && row.RevokedAt == null && row.ExpiresAt > now && !user.IsDisabled
                && !(user.LockoutEnabled && user.LockoutEnd != null && user.LockoutEnd > now)
            select row.Id).AnyAsync(cancellationToken);
    }
}
