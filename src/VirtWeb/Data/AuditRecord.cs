namespace VirtWeb.Data;

/// <summary>
/// One line of the append-only audit trail: who did what to which target, when, and how it ended.
/// The database refuses UPDATE, DELETE and TRUNCATE on this table (a trigger, see the AddAuditLog migration).
/// </summary>
public sealed class AuditRecord
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The user's name at the time; kept as text so the row outlives the account.</summary>
    public required string UserName { get; set; }

    public string? UserId { get; set; }

    /// <summary>A dotted verb, such as <c>signin</c>, <c>host.add</c>, <c>user.disable</c>.</summary>
    public required string Action { get; set; }

    /// <summary>What the action was on, as a path: <c>/hosts/{id}</c>, <c>/users/{name}</c>.</summary>
    public required string Target { get; set; }

    public required AuditOutcome Outcome { get; set; }

    /// <summary>Why it failed or was denied (libvirt's error, the rule that refused); never a secret.</summary>
    public string? Detail { get; set; }

    public string? RemoteAddress { get; set; }

    /// <summary>The API token the action came through (its id, never its secret); null for the pages.</summary>
    public Guid? ApiTokenId { get; set; }
}

public enum AuditOutcome
{
    Success,
    Failure,
    Denied,
}
