using System.Diagnostics.CodeAnalysis;
using VirtWeb.Data;

namespace VirtWeb.Hosts;

/// <summary>What an Administrator types to add or edit a host.</summary>
public sealed record HostInput(string? Name, string? Uri)
{
    /// <summary>libvirt drivers VirtWeb accepts in a URI scheme, before an optional <c>+transport</c>.</summary>
    public static readonly IReadOnlyList<string> Drivers =
        ["test", "qemu", "xen", "lxc", "esx", "gsx", "vpx", "vbox", "vmwarews", "vmwareplayer", "vmwarefusion", "hyperv", "bhyve", "ch"];

    public static readonly IReadOnlyList<string> Transports = ["ssh", "libssh", "libssh2", "tcp", "tls", "unix", "ext"];

    /// <summary>Checks both fields; on success gives them trimmed. Errors name the field and say what to do.</summary>
    public bool TryNormalize([NotNullWhen(true)] out HostInput? normalized, out IReadOnlyDictionary<string, string> errors)
    {
        var problems = new Dictionary<string, string>();
        var name = Name?.Trim() ?? "";
        var uri = Uri?.Trim() ?? "";

        if (name.Length == 0)
        {
            problems[nameof(Name)] = "Give the host a name.";
        }
        else if (name.Length > HostRecordLimits.NameLength)
        {
            problems[nameof(Name)] = $"The name is {name.Length} characters long; keep it to {HostRecordLimits.NameLength}.";
        }
        else if (name.Any(char.IsControl))
        {
            problems[nameof(Name)] = "The name contains a control character (such as NUL or a line break); use printable characters only.";
        }

        if (UriProblem(uri) is { } uriProblem)
        {
            problems[nameof(Uri)] = uriProblem;
        }

        errors = problems;
        normalized = problems.Count == 0 ? new HostInput(name, uri) : null;
        return normalized is not null;
    }

    private static string? UriProblem(string uri)
    {
        if (uri.Length == 0)
        {
            return "Give the libvirt URI of the host, for example qemu:///system or qemu+ssh://root@host/system.";
        }

        if (uri.Length > HostRecordLimits.UriLength)
        {
            return $"The URI is {uri.Length} characters long; libvirt URIs fit in {HostRecordLimits.UriLength}.";
        }

        if (uri.Any(char.IsWhiteSpace))
        {
            return "The URI contains spaces; a libvirt URI has none (encode one inside a path as %20).";
        }

        if (uri.Any(char.IsControl))
        {
            return "The URI contains a control character (such as NUL); remove it.";
        }

        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !uri[(colon + 1)..].StartsWith("//", StringComparison.Ordinal))
        {
            return "The URI must look like driver[+transport]://[user@][host][:port]/path, for example qemu:///system.";
        }

        var scheme = uri[..colon].ToLowerInvariant();
        var plus = scheme.IndexOf('+', StringComparison.Ordinal);
        var driver = plus < 0 ? scheme : scheme[..plus];
        var transport = plus < 0 ? null : scheme[(plus + 1)..];
        if (!Drivers.Contains(driver))
        {
            return $"Unknown libvirt driver '{driver}'; use one of {string.Join(", ", Drivers)}.";
        }

        if (transport is not null && !Transports.Contains(transport))
        {
            return $"Unknown transport '{transport}'; use one of {string.Join(", ", Transports)}, or none for a local connection.";
        }

        if (!System.Uri.TryCreate(uri, UriKind.Absolute, out _))
        {
            return "The URI is malformed; check the host name, port and path.";
        }

        return null;
    }
}
