namespace VirtWeb.Data;

/// <summary>A hypervisor connection an Administrator added.</summary>
public sealed class HostRecord
{
    public Guid Id { get; set; }

    public required string Name { get; set; }

    /// <summary>Upper-cased name: names are unique regardless of case.</summary>
    public required string NormalizedName { get; set; }

    public required string Uri { get; set; }

    public required string AddedBy { get; set; }

    public DateTimeOffset AddedAt { get; set; }
}
