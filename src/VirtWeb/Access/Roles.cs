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

    public static IReadOnlyList<string> All { get; } = [Administrator, Operator, Viewer];

    /// <summary>The most powerful role among <paramref name="roles"/>, for display.</summary>
    public static string? Highest(IEnumerable<string> roles)
    {
        var held = roles.ToHashSet(StringComparer.Ordinal);
        return All.FirstOrDefault(held.Contains);
    }
}
