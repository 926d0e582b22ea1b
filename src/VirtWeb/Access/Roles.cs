namespace VirtWeb.Access;

/// <summary>The three roles, named once. Per-object grants narrow or widen them per host and guest.</summary>
public static class Roles
{
    /// <summary>Everything, including users and grants.</summary>
    public const string Administrator = nameof(Administrator);

    /// <summary>Power, console, create and delete guests and images.</summary>
    public const string Operator = nameof(Operator);

    /// <summary>Read only, no console.</summary>
    public const string Viewer = nameof(Viewer);

    /// <summary>No role of one's own (not stored as a role): the user sees and does only what grants give them.</summary>
    public const string None = nameof(None);

    public static IReadOnlyList<string> All { get; } = [Administrator, Operator, Viewer];

    /// <summary>What an Administrator can give an account: one of <see cref="All"/>, or <see cref="None"/>.</summary>
    public static IReadOnlyList<string> Assignable { get; } = [Administrator, Operator, Viewer, None];

    /// <summary>The most powerful role among <paramref name="roles"/>, for display.</summary>
    public static string? Highest(IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        return All.FirstOrDefault(held.Contains);
    }
}
