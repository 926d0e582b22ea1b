namespace VirtWeb.Access;

/// <summary>The first Administrator, created only when no Administrator exists.</summary>
public sealed class BootstrapOptions
{
    public const string SectionName = "Bootstrap";

    public string AdminUserName { get; set; } = "admin";

    /// <summary>When empty, a password is generated and printed once on the console.</summary>
    public string? AdminPassword { get; set; }
}
