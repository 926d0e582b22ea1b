using System.Text;
using System.Text.RegularExpressions;

namespace VirtWeb.Hosts;

/// <summary>Which connection a URI makes, for the parameters it may carry: libvirt reads each on some transports only.</summary>
public enum HostUriKind
{
    Local,
    Unix,
    Ssh,
    LibSsh,
    Tls,
    Tcp,
    Esx,
    HyperV,
}

/// <summary>
/// The query parameters of a libvirt URI, read the way libvirt reads them (names compared without case, names and
/// values percent-decoded) and checked against an allowlist per <see cref="HostUriKind"/>. Anything libvirt could read
/// differently from VirtWeb ('<c>;</c>', an empty or repeated name, an encoded '<c>=</c>' or '<c>&amp;</c>') is refused.
/// </summary>
public static partial class HostUriParameters
{
    private sealed record Rule(Func<string, bool> Valid, string Expected);

    private static readonly Rule Flag = new(v => v is "0" or "1", "0 or 1");
    private static readonly Rule Mode = OneOf("auto", "legacy", "direct");
    private static readonly Rule RemoteName = new(v => NameValue().IsMatch(v) && v[..v.IndexOf(':', StringComparison.Ordinal)] is var driver && driver != "test" && HostUriPolicy.Drivers.Contains(driver),
        "a plain driver:///path URI of the remote side, such as qemu:///system (not the test driver)");

    private static readonly Dictionary<HostUriKind, Dictionary<string, Rule>> s_allowed = new()
    {
        [HostUriKind.Local] = new() { ["mode"] = Mode },
        [HostUriKind.Unix] = new() { ["mode"] = Mode },
        [HostUriKind.Ssh] = new()
        {
            ["no_tty"] = Flag,
            ["no_verify"] = Flag,
            ["mode"] = Mode,
            ["proxy"] = OneOf("auto", "netcat", "native"),
            ["name"] = RemoteName,
        },
        [HostUriKind.LibSsh] = new()
        {
            ["known_hosts_verify"] = OneOf("normal", "auto", "ignore"),
            ["sshauth"] = new(v => v.Split(',').All(m => m is "agent" or "privkey" or "password" or "keyboard-interactive"),
                "a comma-separated list of agent, privkey, password and keyboard-interactive"),
            ["mode"] = Mode,
            ["proxy"] = OneOf("auto", "netcat", "native"),
            ["name"] = RemoteName,
        },
        [HostUriKind.Tls] = new()
        {
            ["no_verify"] = Flag,
            ["tls_priority"] = new(v => TlsPriority().IsMatch(v), "a GnuTLS priority string such as NORMAL:-VERS-TLS1.0"),
            ["name"] = RemoteName,
        },
        [HostUriKind.Tcp] = new() { ["name"] = RemoteName },
        [HostUriKind.Esx] = new()
        {
            ["transport"] = OneOf("http", "https"),
            ["vcenter"] = new(v => v == "*" || HostValue().IsMatch(v), "the vCenter host name, or *"),
            ["no_verify"] = Flag,
            ["auto_answer"] = Flag,
            ["proxy"] = new(v => EsxProxy().IsMatch(v), "[http|socks|socks4|socks4a|socks5://]host[:port]"),
        },
        [HostUriKind.HyperV] = new() { ["transport"] = OneOf("http", "https") },
    };

    // Names libvirt reads as a local program or file: each gets its own reason and what to do instead.
    private static readonly Dictionary<string, string> s_forbidden = new()
    {
        ["command"] = "names a program that libvirt would run on the VirtWeb server; VirtWeb does not allow it. Remove it: the ssh transports run ssh themselves",
        ["netcat"] = "names a program that libvirt would run on the remote side through a shell; VirtWeb does not allow it. Remove it (proxy=netcat or proxy=native choose the helper)",
        ["socket"] = "names a socket file on the VirtWeb server; VirtWeb connects to libvirt's standard socket only. Remove it",
        ["keyfile"] = "names a file on the VirtWeb server; VirtWeb uses the key a server operator sets as Hosts:SshKeyFile in appsettings.json. Remove it",
        ["known_hosts"] = "names a file on the VirtWeb server; VirtWeb uses the file a server operator sets as Hosts:KnownHostsFile in appsettings.json. Remove it",
        ["pkipath"] = "names a directory on the VirtWeb server; VirtWeb uses the certificates a server operator sets as Hosts:PkiPath in appsettings.json. Remove it",
        ["root"] = "names a directory on the VirtWeb server for an embedded driver; VirtWeb does not allow it. Connect to a libvirt daemon instead",
    };

    private static readonly Dictionary<HostUriKind, string> s_described = new()
    {
        [HostUriKind.Local] = "local connections",
        [HostUriKind.Unix] = "the unix transport",
        [HostUriKind.Ssh] = "the ssh transport",
        [HostUriKind.LibSsh] = "the libssh and libssh2 transports",
        [HostUriKind.Tls] = "tls connections (a host without a transport uses tls)",
        [HostUriKind.Tcp] = "the tcp transport",
        [HostUriKind.Esx] = "the esx, gsx and vpx drivers",
        [HostUriKind.HyperV] = "the hyperv driver",
    };

    public static HostUriKind KindOf(string driver, string? transport, bool hasHost) => transport switch
    {
        "ssh" => HostUriKind.Ssh,
        "libssh" or "libssh2" => HostUriKind.LibSsh,
        "tls" => HostUriKind.Tls,
        "tcp" => HostUriKind.Tcp,
        "unix" => HostUriKind.Unix,
        // These drivers speak their own protocol from inside VirtWeb rather than through a libvirt daemon.
        _ when driver is "esx" or "gsx" or "vpx" => HostUriKind.Esx,
        _ when driver == "hyperv" => HostUriKind.HyperV,
        _ => hasHost ? HostUriKind.Tls : HostUriKind.Local,
    };

    /// <summary>Why the query may not be passed to libvirt, naming the parameter; null when every parameter is allowed.</summary>
    public static string? Problem(HostUriKind kind, string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }

        if (query.Contains(';', StringComparison.Ordinal))
        {
            return "The parameters contain ';', which libvirt reads as a separator only where no '&' follows; separate parameters with '&' instead.";
        }

        var allowed = s_allowed[kind];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var segment in query.Split('&'))
        {
            if (segment.Length == 0)
            {
                return "The URI has an empty parameter ('&&', or '&' at an end); remove it.";
            }

            var equals = segment.IndexOf('=', StringComparison.Ordinal);
            var rawName = equals < 0 ? segment : segment[..equals];
            var rawValue = equals < 0 ? "" : segment[(equals + 1)..];
            if (!TryDecode(rawName, out var name) || !TryDecode(rawValue, out var value))
            {
                return $"The parameter '{rawName}' has a '%' that is not followed by two hex digits (or encodes invalid UTF-8); write it plainly.";
            }

            if (name.Length == 0)
            {
                return "A parameter has no name ('=value'); remove it.";
            }

            var lower = name.ToLowerInvariant();
            var hidden = lower.IndexOfAny(['=', '&', ';', '#', '?', '%']);
            if (hidden >= 0 || name.Any(char.IsControl) || value.Any(char.IsControl))
            {
                // command%3D/bin/true decodes to a name holding '='; say which parameter hid behind it.
                var leading = hidden >= 0 ? lower[..hidden] : lower;
                return s_forbidden.TryGetValue(leading, out var why)
                    ? $"The parameter '{leading}' (written with an encoded separator) {why}."
                    : $"The parameter name '{rawName}' hides a separator or control character by encoding it; write parameters plainly as name=value.";
            }

            if (!seen.Add(lower))
            {
                return $"The parameter '{lower}' is given twice; give it once.";
            }

            if (s_forbidden.TryGetValue(lower, out var reason))
            {
                return $"The parameter '{lower}' {reason}.";
            }

            if (!allowed.TryGetValue(lower, out var rule))
            {
                return allowed.Count == 0
                    ? $"The parameter '{lower}' is not allowed: VirtWeb allows no parameters on {s_described[kind]}. Remove it."
                    : $"The parameter '{lower}' is not allowed on {s_described[kind]}; VirtWeb allows {string.Join(", ", allowed.Keys)}. Remove it.";
            }

            if (!rule.Valid(value))
            {
                return $"The parameter '{lower}' must be {rule.Expected}.";
            }
        }

        return null;
    }

    /// <summary>The URI to open: the server's own key, known_hosts and certificate settings appended where the transport reads them.</summary>
    public static string WithServerFiles(string uri, HostUriKind kind, HostsOptions options)
    {
        var added = new List<(string Name, string? Value)>();
        if (kind is HostUriKind.Ssh or HostUriKind.LibSsh)
        {
            added.Add(("keyfile", options.SshKeyFile));
        }

        if (kind == HostUriKind.LibSsh)
        {
            added.Add(("known_hosts", options.KnownHostsFile));
        }

        if (kind == HostUriKind.Tls)
        {
            added.Add(("pkipath", options.PkiPath));
        }

        var opened = uri;
        if (kind == HostUriKind.Local && !string.IsNullOrWhiteSpace(options.LocalSocket))
        {
            // libvirt reads socket= only with the unix transport named in the scheme.
            var colon = opened.IndexOf(':', StringComparison.Ordinal);
            opened = opened[..colon].Contains('+', StringComparison.Ordinal) ? opened : $"{opened[..colon]}+unix{opened[colon..]}";
            added.Add(("socket", options.LocalSocket));
        }

        foreach (var (name, value) in added.Where(a => !string.IsNullOrWhiteSpace(a.Value)))
        {
            var separator = !opened.Contains('?', StringComparison.Ordinal) ? "?" : opened.EndsWith('?') ? "" : "&";
            opened += $"{separator}{name}={Uri.EscapeDataString(value!)}";
        }

        return opened;
    }

    /// <summary>Percent-decodes as libvirt does ('+' stays '+'); false for a '%' without two hex digits or for invalid UTF-8.</summary>
    public static bool TryDecode(string text, out string decoded)
    {
        decoded = text;
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return true;
        }

        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
                continue;
            }

            if (i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
            {
                return false;
            }

            bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
            i += 2;
        }

        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static Rule OneOf(params string[] values) => new(values.Contains, string.Join(", ", values.SkipLast(1)) + " or " + values[^1]);

    [GeneratedRegex(@"^[a-z0-9]+:///[A-Za-z0-9._/-]*$")]
    private static partial Regex NameValue();

    [GeneratedRegex(@"^[A-Za-z0-9:+._!%-]+$")]
    private static partial Regex TlsPriority();

    [GeneratedRegex(@"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")]
    private static partial Regex HostValue();

    [GeneratedRegex(@"^((http|socks|socks4|socks4a|socks5)://)?[A-Za-z0-9_.-]+(:[0-9]{1,5})?$")]
    private static partial Regex EsxProxy();
}
