using System.Text.RegularExpressions;

namespace VirtWeb.Access;

public sealed record AuditQuery(string? UserName = null, string? Target = null, string? Action = null, DateTimeOffset? From = null, DateTimeOffset? To = null, int Limit = 200);

/// <summary>
/// Writes and reads the append-only audit trail. Every row also goes to <see cref="Recent"/>, so the audit page shows
/// new rows live. Nothing secret is written: credentials inside URIs are masked before a row is stored.
/// </summary>
public sealed partial class AuditLog(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    LiveStateStore store,
    TimeProvider timeProvider,
    ILogger<AuditLog> logger)
{
    /// <summary>How many of the newest rows stay in memory for live pages.</summary>
    public const int RecentCount = 200;

    private readonly Lock _recentLock = new();
    private readonly Queue<string> _recentKeys = new();

    public LiveCollection<AuditRecord> Recent { get; } = new(r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), LiveStateStore.BatchWindow, timeProvider);

    /// <summary>Writes a row for <paramref name="user"/>; an action through an API token carries that token's id.</summary>
    public Task WriteAsync(ClaimsPrincipal user, string action, string target, AuditOutcome outcome, string? detail = null, string? remoteAddress = null) =>
        WriteAsync(user.Identity?.Name ?? "anonymous", user.FindFirstValue(ClaimTypes.NameIdentifier), action, target, outcome, detail, remoteAddress,
            ApiTokenScope.Of(user)?.TokenId);

    public async Task WriteAsync(
        string userName, string? userId, string action, string target, AuditOutcome outcome, string? detail = null, string? remoteAddress = null, Guid? apiTokenId = null)
    {
        var record = new AuditRecord
        {
            At = timeProvider.GetUtcNow(),
            UserName = Clean(userName, 256),
            UserId = userId,
            Action = Clean(action, 64),
            Target = Clean(MaskSecrets(target), 512),
            Outcome = outcome,
            Detail = detail is null ? null : Clean(MaskSecrets(detail), 2048),
            RemoteAddress = remoteAddress,
            ApiTokenId = apiTokenId,
        };

        // The trail must not lose a row because the page that caused it was closed: no caller cancellation here.
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        db.AuditLog.Add(record);
        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Audit: {User} {Action} {Target}: {Outcome} {Detail}", record.UserName, record.Action, record.Target, record.Outcome, record.Detail);
        Remember(record);
    }

    /// <summary>Masks the password in <c>scheme://user:password@host</c> and <c>password=...</c> forms.</summary>
    public static string MaskSecrets(string text) =>
        PasswordParameter().Replace(UserInfoPassword().Replace(text, "$1:***@"), "$1=***");

    private void Remember(AuditRecord record)
    {
        lock (_recentLock)
        {
            var version = store.NextVersion();
            Recent.Upsert(record, version);
            _recentKeys.Enqueue(record.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            while (_recentKeys.Count > RecentCount)
            {
                Recent.Remove(_recentKeys.Dequeue(), version, keepTombstone: false);
            }
        }
    }

    /// <summary>
    /// Refused input is exactly what the trail must record, and it may hold NUL (which PostgreSQL text cannot store) or
    /// line breaks that would forge log lines: control characters are written as visible escapes.
    /// </summary>
    public static string Clean(string value, int length)
    {
        var visible = value.Any(char.IsControl)
            ? string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))
            : value;
        return visible.Length <= length ? visible : visible[..length];
    }

    [GeneratedRegex(@"(://[^:/@\s]+):[^/\s]*@")]
    private static partial Regex UserInfoPassword();

    [GeneratedRegex(@"(?i)\b(password|passwd|pwd|secret|token|ticket)=[^&;\s]+")]
    private static partial Regex PasswordParameter();
}
