namespace VirtWeb.Images;

/// <summary>Checks of what an operator types, each with a message that says what is wrong and what to do.</summary>
public static class ImageNames
{
    /// <summary>Most file systems take 255 bytes per file name; libvirt would fail later and less clearly.</summary>
    public const int MaxNameLength = 255;

    public static readonly IReadOnlyList<string> CreatableFormats = ["qcow2", "raw"];

    public static readonly IReadOnlyList<string> UploadFormats = ["raw", "qcow2", "iso"];

    /// <summary>The problem with <paramref name="name"/> as a volume or pool name, or null when it is fine.</summary>
    public static string? Problem(string? name, string what = "volume")
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return $"Give the {what} a name.";
        }

        if (name.Contains('\0'))
        {
            return $"The {what} name contains a NUL character; use letters, digits, '-', '_' and '.'.";
        }

        if (name.Any(char.IsControl))
        {
            return $"The {what} name contains a control character; use letters, digits, '-', '_' and '.'.";
        }

        if (name.Contains('/') || name.Contains('\\'))
        {
            return $"The {what} name contains '/': it is one file name inside the pool, not a path. Remove the slashes.";
        }

        if (name.Contains("..", StringComparison.Ordinal))
        {
            return $"The {what} name contains '..', which could point outside the pool. Remove it.";
        }

        if (name.StartsWith('.'))
        {
            return $"The {what} name starts with '.', which makes a hidden file. Start it with a letter or digit.";
        }

        if (name != name.Trim())
        {
            return $"The {what} name starts or ends with a space. Remove it.";
        }

        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxNameLength)
        {
            return $"The {what} name is {name.Length} characters long; at most {MaxNameLength} fit in a file name. Shorten it.";
        }

        return null;
    }

    public static string Require(string? name, string what = "volume") =>
        Problem(name, what) is { } problem ? throw new ImageException(problem) : name!;

    public static string RequireFormat(string? format, IReadOnlyList<string> allowed)
    {
        var normalized = format?.Trim().ToLowerInvariant();
        return normalized is not null && allowed.Contains(normalized)
            ? normalized
            : throw new ImageException($"Choose the format: {string.Join(" or ", allowed)} ('{format}' is not one of them).");
    }

    public static ulong RequireSize(long bytes, string what = "size")
    {
        if (bytes <= 0)
        {
            throw new ImageException(bytes == 0
                ? $"The {what} is 0; give a size of at least 1 MiB."
                : $"The {what} is negative ({bytes} bytes); give a positive size.");
        }

        return (ulong)bytes;
    }

    /// <summary>1536 MiB → "1.5 GiB": binary units, as libvirt and qemu-img count.</summary>
    public static string Bytes(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return unit == 0 ? $"{bytes} B" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }
}
