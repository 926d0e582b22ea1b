namespace VirtWeb.Data;

/// <summary>A role one user holds on one object path and everything below it (see <see cref="AccessPolicy"/>).</summary>
public sealed class AccessGrantRecord
{
    public long Id { get; set; }

    public required string UserId { get; set; }

    /// <summary><c>/</c>, <c>/hosts/{host}</c>, <c>/hosts/{host}/guests/{uuid}</c> or <c>/hosts/{host}/pools/{pool}</c>.</summary>
    public required string Path { get; set; }

    public required AccessRole Role { get; set; }

    /// <summary>The name of who gave it, kept as text so the row outlives that account.</summary>
    public required string GrantedBy { get; set; }

    public DateTimeOffset GrantedAt { get; set; }
}
