namespace VirtWeb.Containers;

internal static class LocalHost
{
    /// <summary>True for a URI of this machine's libvirtd (no host name, no transport), whose files VirtWeb sees too.</summary>
    public static bool Is(string uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && string.IsNullOrEmpty(parsed.Host) && !parsed.Scheme.Contains('+', StringComparison.Ordinal);
}
