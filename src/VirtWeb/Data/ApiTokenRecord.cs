namespace VirtWeb.Data;

/// <summary>
/// An API token: only a hash of its secret is kept, never the secret. <see cref="Role"/> and <see cref="Paths"/> narrow
/// what the token may do below what its user may do (never more: both are applied on top of the user's current rights).
/// </summary>
public sealed class ApiTokenRecord
{
    public Guid Id { get; set; }

    public required string UserId { get; set; }

    public required string Name { get; set; }

    /// <summary>The part of the token that is not secret (installation and id), shown in lists and logs.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the installation id and the secret; the secret is 256 random bits, so no slow hash is needed.</summary>
    public required byte[] SecretHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? RevokedBy { get; set; }

    /// <summary>At most this role anywhere; null: the user's own.</summary>
    public AccessRole? Role { get; set; }

    /// <summary>Only these objects and what is below them; empty: wherever the user may act.</summary>
    public List<string> Paths { get; set; } = [];

    public DateTimeOffset? LastUsedAt { get; set; }

    public string? LastUsedFrom { get; set; }
}
