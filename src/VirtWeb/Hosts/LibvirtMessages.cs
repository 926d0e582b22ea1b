using System.Text.RegularExpressions;

namespace VirtWeb.Hosts;

/// <summary>
/// libvirt's errors as a web user may read them: libvirt's code and meaning stay, but what libvirt quotes from the
/// VirtWeb server does not. libxml2 parse errors quote the line of the file they failed on (the first line of
/// /etc/shadow, for test:///etc/shadow), and many errors name local sockets, keys and configuration files; such
/// paths are replaced unless the user typed them.
/// </summary>
public static partial class LibvirtMessages
{
    public const string LocalPath = "(a local path)";

    /// <param name="error">What libvirt raised.</param>
    /// <param name="typed">What the user typed for this action (a URI, a path), whose own paths may be shown back.</param>
    public static string ForUser(LibvirtException error, string? typed = null)
    {
        var code = $"libvirt error {(int)error.Code}, {error.Code}";
        if (IsTestDriverWorld(typed) &&
            (error.ErrorDomain is LibvirtErrorDomain.Xml or LibvirtErrorDomain.Test || error.Code is LibvirtErrorCode.XmlError or LibvirtErrorCode.XmlDetail))
        {
            return $"That file is not a libvirt test-driver XML ({code}); give a <node> world as libvirt's test driver describes it, or use test:///default.";
        }

        return $"{Clean(error.Message, typed)} ({code})";
    }

    /// <summary>Drops quoted file lines and the paths the user did not type from any message libvirt wrote.</summary>
    public static string Clean(string message, string? typed = null)
    {
        var lines = message.Replace("\r", "", StringComparison.Ordinal).Split('\n').ToList();
        // libxml2 quotes the offending line, then a line holding only '^' beneath it: drop both.
        for (var i = lines.Count - 1; i >= 0; i--)
        {
            if (lines[i].Trim() == "^")
            {
                lines.RemoveAt(i);
                if (i > 0)
                {
                    lines.RemoveAt(--i);
                }
            }
        }

        var text = string.Join(" ", lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        var decodedTyped = typed is not null && HostUriParameters.TryDecode(typed, out var decoded) ? decoded : typed;
        return ReplacePaths(text, path =>
            typed is not null && (typed.Contains(path, StringComparison.Ordinal) || decodedTyped!.Contains(path, StringComparison.Ordinal)), LocalPath);
    }

    /// <summary>Every absolute path in <paramref name="message"/> that <paramref name="keep"/> refuses becomes <paramref name="placeholder"/>.</summary>
    public static string ReplacePaths(string message, Func<string, bool> keep, string placeholder) =>
        AbsolutePath().Replace(message, match => keep(match.Value) ? match.Value : placeholder);

    private static bool IsTestDriverWorld(string? uri) =>
        uri is not null && uri.StartsWith("test:", StringComparison.Ordinal) && uri != HostUriPolicy.DefaultTestUri;

    // A '/' that starts a path rather than continuing a word or a URI (qemu:///system, host/system stay).
    [GeneratedRegex(@"(?<![\w/:.~-])/[^\s'""`,;:()<>\[\]{}]+")]
    private static partial Regex AbsolutePath();
}
