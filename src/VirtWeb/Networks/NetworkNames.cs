using System.Text.RegularExpressions;

namespace VirtWeb.Networks;

/// <summary>Checks of the names an operator types for networks and bridges, each saying what is wrong and what to do.</summary>
public static partial class NetworkNames
{
    /// <summary>Names become dnsmasq's configuration and lease file names: kept short and plain.</summary>
    public const int MaxNameLength = 64;

    /// <summary>Linux interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL).</summary>
    public const int MaxBridgeLength = 15;

    /// <summary>The problem with <paramref name="name"/> as a network (or other <paramref name="what"/>) name, or null.</summary>
    public static string? Problem(string? name, string what = "network", int maxLength = MaxNameLength)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return $"Give the {what} a name.";
        }

        if (name.Contains('\0'))
        {
            return $"The {what} name contains a NUL character; use letters, digits, '-', '_' and '.'.";
        }

        if (name.Contains('/') || name.Contains('\\'))
        {
            return $"The {what} name contains '/'; libvirt makes files of it. Use letters, digits, '-', '_' and '.'.";
        }

        if (name.Contains("..", StringComparison.Ordinal))
        {
            return $"The {what} name contains '..'. Use letters, digits, '-', '_' and '.'.";
        }

        if (name.Length > maxLength)
        {
            return $"The {what} name is {name.Length} characters long; at most {maxLength} are allowed. Shorten it.";
        }

        if (!Plain().IsMatch(name))
        {
            return $"The {what} name '{name}' may only hold letters, digits, '-', '_' and '.', and must start with a letter or digit.";
        }

        return null;
    }

    public static string Require(string? name, string what = "network") =>
        Problem(name, what) is { } problem ? throw new NetworkException(problem) : name!;

    public static string RequireBridge(string? name, string what = "bridge")
    {
        if (name is { Length: > MaxBridgeLength } && Problem(name, what, int.MaxValue) is null)
        {
            throw new NetworkException(
                $"The {what} name '{name}' is {name.Length} characters long; Linux allows at most {MaxBridgeLength} for an interface. Shorten it.");
        }

        return Problem(name, what, MaxBridgeLength) is { } problem ? throw new NetworkException(problem) : name!;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex Plain();
}
