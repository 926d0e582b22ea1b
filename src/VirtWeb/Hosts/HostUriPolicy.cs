using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace VirtWeb.Hosts;

/// <summary>
/// What <see cref="HostUriPolicy"/> decided. An allowed URI carries the one VirtWeb opens (with the server's own key,
/// known_hosts and PKI settings, a test-driver world by its real path); that one is never stored or shown.
/// <see cref="Refused"/> tells a refusal on security grounds (audited as Denied) from a URI that is merely malformed.
/// </summary>
public sealed record HostUriVerdict(string? ConnectUri, string? Problem, bool Refused)
{
    public bool Allowed => ConnectUri is not null;

    public static HostUriVerdict Allow(string connectUri) => new(connectUri, null, false);

    public static HostUriVerdict Malformed(string problem) => new(null, problem, false);

    public static HostUriVerdict Refuse(string problem) => new(null, problem, true);
}

/// <summary>
/// The one place that decides which libvirt URIs VirtWeb opens. A URI is typed by a web user, but libvirt acts on it
/// on the VirtWeb server: the <c>ext</c> transport and <c>command=</c>/<c>netcat=</c> run local programs,
/// <c>keyfile=</c>, <c>socket=</c>, <c>pkipath=</c> and <c>known_hosts=</c> name local files, and the test driver reads
/// any file it is given. So transports and parameters are allowed from a list, local files come only from the server's
/// <c>Hosts:</c> settings, and the test driver opens <c>test:///default</c> or worlds inside
/// <c>Hosts:TestDriverDirectory</c>. Used for add, edit, the connection test and every supervisor start.
/// </summary>
public sealed partial class HostUriPolicy(IOptions<HostsOptions> options)
{
    public const string DefaultTestUri = "test:///default";

    /// <summary>libvirt drivers VirtWeb accepts in a URI scheme, before an optional <c>+transport</c>.</summary>
    public static readonly IReadOnlyList<string> Drivers =
        ["test", "qemu", "xen", "lxc", "esx", "gsx", "vpx", "vbox", "vmwarews", "vmwareplayer", "vmwarefusion", "hyperv", "bhyve", "ch"];

    /// <summary>Remote transports VirtWeb accepts; <c>ext</c> is left out on purpose (it runs a program named in the URI).</summary>
    public static readonly IReadOnlyList<string> Transports = ["ssh", "libssh", "libssh2", "tcp", "tls", "unix"];

    public HostUriVerdict Check(string? uri)
    {
        uri ??= "";
        if (FormProblem(uri) is { } form)
        {
            return HostUriVerdict.Malformed(form);
        }

        var colon = uri.IndexOf(':', StringComparison.Ordinal);
        var scheme = uri[..colon];
        var plus = scheme.IndexOf('+', StringComparison.Ordinal);
        var driver = (plus < 0 ? scheme : scheme[..plus]).ToLowerInvariant();
        var transport = plus < 0 ? null : scheme[(plus + 1)..].ToLowerInvariant();
        if (!Drivers.Contains(driver))
        {
            return HostUriVerdict.Malformed($"Unknown libvirt driver '{driver}'; use one of {string.Join(", ", Drivers)}.");
        }

        if (transport == "ext")
        {
            return HostUriVerdict.Refuse(
                "The ext transport makes libvirt run a program named in the URI on the VirtWeb server; VirtWeb does not allow it. " +
                "Use ssh, libssh, libssh2, tls or tcp to reach a remote host.");
        }

        if (transport is not null && !Transports.Contains(transport))
        {
            return HostUriVerdict.Malformed($"Unknown transport '{transport}'; use one of {string.Join(", ", Transports)}, or none for a local connection.");
        }

        if (!scheme.Equals(scheme.ToLowerInvariant(), StringComparison.Ordinal))
        {
            return HostUriVerdict.Malformed($"Write the scheme in lower case ('{scheme.ToLowerInvariant()}'): libvirt matches some drivers case-sensitively.");
        }

        if (uri.Contains('#', StringComparison.Ordinal))
        {
            return HostUriVerdict.Refuse("The URI has a fragment ('#...'); libvirt URIs have none, and VirtWeb passes on only what it can read unambiguously. Remove it.");
        }

        var rest = uri[(colon + 3)..];
        var question = rest.IndexOf('?', StringComparison.Ordinal);
        var query = question < 0 ? null : rest[(question + 1)..];
        var beforeQuery = question < 0 ? rest : rest[..question];
        var slash = beforeQuery.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? beforeQuery : beforeQuery[..slash];
        var path = slash < 0 ? "" : beforeQuery[slash..];

        if (driver == "test")
        {
            return CheckTestDriver(uri, transport, authority, path, query);
        }

        if (AuthorityProblem(authority) is { } authorityProblem)
        {
            return authorityProblem;
        }

        if (!HostUriParameters.TryDecode(path, out var decodedPath) || !SafePath().IsMatch(decodedPath))
        {
            return HostUriVerdict.Refuse(
                "The URI's path may hold only letters, digits and . _ ~ - + @ / (and spaces written as %20); " +
                "anything else could be read as a parameter. Use a path such as /system or /session.");
        }

        var kind = HostUriParameters.KindOf(driver, transport, hasHost: authority.Length > 0);
        if (HostUriParameters.Problem(kind, query) is { } parameterProblem)
        {
            return HostUriVerdict.Refuse(parameterProblem);
        }

        // Last, so that the checks above name what is wrong before this generic parse says only that something is.
        return System.Uri.TryCreate(uri, UriKind.Absolute, out _)
            ? HostUriVerdict.Allow(HostUriParameters.WithServerFiles(uri, kind, options.Value))
            : HostUriVerdict.Malformed("The URI is malformed; check the host name, port and path.");
    }

    private static string? FormProblem(string uri)
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

        return null;
    }

    private static HostUriVerdict? AuthorityProblem(string authority)
    {
        if (authority.Length == 0)
        {
            return null;
        }

        var at = authority.LastIndexOf('@');
        var hostPort = authority[(at + 1)..];
        if (at >= 0)
        {
            var userInfo = authority[..at];
            var colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            var rawUser = colon < 0 ? userInfo : userInfo[..colon];
            if (!HostUriParameters.TryDecode(rawUser, out var user) || user.StartsWith('-') || !UserName().IsMatch(user))
            {
                // ssh reads an argument that starts with '-' as an option.
                return HostUriVerdict.Refuse("The user name may hold only letters, digits, '.', '_', '-', '\\' and '@' (encoded as %40), and may not start with '-'.");
            }
        }

        string host;
        string? port;
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            host = close < 0 ? hostPort : hostPort[1..close];
            port = close < 0 || close + 1 >= hostPort.Length ? null : hostPort[(close + 1)..];
            if (close < 0 || !IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6 ||
                (port is not null && !port.StartsWith(':')))
            {
                return HostUriVerdict.Malformed("The host is not a valid IPv6 address in brackets, such as [2001:db8::5].");
            }

            port = port?[1..];
        }
        else
        {
            var colon = hostPort.IndexOf(':', StringComparison.Ordinal);
            host = colon < 0 ? hostPort : hostPort[..colon];
            port = colon < 0 ? null : hostPort[(colon + 1)..];
            if (host.StartsWith('-'))
            {
                return HostUriVerdict.Refuse("The host name starts with '-', which ssh would read as an option; give a DNS name or an IP address.");
            }

            if (host.Length > 0 && !HostName().IsMatch(host))
            {
                return HostUriVerdict.Malformed($"The host '{host}' is not a DNS name or an IP address; check it.");
            }
        }

        if (port is not null && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535))
        {
            return HostUriVerdict.Malformed("The port must be a number from 1 to 65535.");
        }

        return null;
    }

    private HostUriVerdict CheckTestDriver(string uri, string? transport, string authority, string path, string? query)
    {
        if (transport is not null || authority.Length > 0)
        {
            return HostUriVerdict.Refuse("The test driver runs inside VirtWeb: use it as test:///default, without a transport or host.");
        }

        if (query is not null)
        {
            return HostUriVerdict.Refuse($"The test driver takes no parameters ('?{query}'); use exactly {DefaultTestUri}.");
        }

        if (uri == DefaultTestUri)
        {
            return HostUriVerdict.Allow(DefaultTestUri);
        }

        const string onlyDefault = "Use test:///default, or a world file inside the directory the server's Hosts:TestDriverDirectory setting names (ask a server operator where it is).";
        var directory = options.Value.TestDriverDirectory;
        if (string.IsNullOrWhiteSpace(directory))
        {
            return HostUriVerdict.Refuse($"The test driver may open only test:///default here: the test driver reads any file it is given. {onlyDefault}");
        }

        if (!HostUriParameters.TryDecode(path, out var decoded) || !decoded.StartsWith('/') || decoded.Contains('\0', StringComparison.Ordinal))
        {
            return HostUriVerdict.Refuse($"The test-driver path cannot be read unambiguously (a '%' must be followed by two hex digits). {onlyDefault}");
        }

        var root = RealPath(Path.GetFullPath(directory));
        if (root is null || !Directory.Exists(root))
        {
            return HostUriVerdict.Refuse("The server's Hosts:TestDriverDirectory setting does not name a directory; ask a server operator to fix it, or use test:///default.");
        }

        var real = RealPath(decoded);
        if (real is null || !real.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
        {
            return HostUriVerdict.Refuse($"That file is outside the server's test-driver directory, and the test driver may open only files inside it. {onlyDefault}");
        }

        // Open the checked path itself, so that '..' or a link resolved differently later cannot lead elsewhere.
        return HostUriVerdict.Allow("test://" + string.Join('/', real.Split('/').Select(Uri.EscapeDataString)));
    }

    /// <summary>
    /// The path with every link resolved and '.' and '..' applied in order, as the kernel walks it (a link anywhere
    /// counts, not only at the end); null for a link loop.
    /// </summary>
    internal static string? RealPath(string path)
    {
        var pending = new Stack<string>(path.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse());
        var resolved = new List<string>();
        var links = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (resolved.Count > 0)
                {
                    resolved.RemoveAt(resolved.Count - 1);
                }

                continue;
            }

            var parent = "/" + string.Join('/', resolved);
            var candidate = Path.Combine(parent, part);
            if (new FileInfo(candidate).LinkTarget is { } target)
            {
                if (++links > 40)
                {
                    return null;
                }

                if (target.StartsWith('/'))
                {
                    resolved.Clear();
                }

                foreach (var step in target.Split('/', StringSplitOptions.RemoveEmptyEntries).Reverse())
                {
                    pending.Push(step);
                }

                continue;
            }

            resolved.Add(part);
        }

        return "/" + string.Join('/', resolved);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._~/ +@-]*$")]
    private static partial Regex SafePath();

    [GeneratedRegex(@"^[A-Za-z0-9._\\][A-Za-z0-9._\\@-]*$")]
    private static partial Regex UserName();

    [GeneratedRegex(@"^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$")]
    private static partial Regex HostName();
}
