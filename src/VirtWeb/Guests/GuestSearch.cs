using System.Runtime.CompilerServices;

namespace VirtWeb.Guests;

/// <summary>
/// What the guest list's search box matches: the term is lowercased once per keystroke, and each guest state gets one
/// lowercase key (its UUID, name, host and addresses) the first time any list looks at it, shared by every page, so
/// a keystroke over 5,000 guests is 5,000 ordinal substring searches and no allocation per guest.
/// </summary>
public sealed class GuestSearch
{
    // Keyed by the state object itself: a changed guest is a new record, and its key is made again when first needed.
    private static readonly ConditionalWeakTable<GuestState, string> s_keys = new();

    private const int UuidLength = 36;

    public GuestSearch(string? text) => Term = text?.Trim().ToLowerInvariant() ?? "";

    public string Term { get; }

    public bool IsEmpty => Term.Length == 0;

    /// <summary>The name, host or an address contains the term, or the UUID starts with it, ignoring case.</summary>
    public bool Matches(GuestState guest)
    {
        if (IsEmpty)
        {
            return true;
        }

        var key = s_keys.GetValue(guest, static g => KeyOf(g));
        return key.StartsWith(Term, StringComparison.Ordinal) || key.AsSpan(UuidLength).Contains(Term, StringComparison.Ordinal);
    }

    // The UUID first (formatted lowercase, 36 characters) for the prefix match; the rest after it, each part on a line
    // of its own so that a term never matches across two of them.
    private static string KeyOf(GuestState guest) =>
        string.Join('\n', [guest.Uuid.ToString("D"), guest.Name, guest.HostName, .. guest.Addresses]).ToLowerInvariant();
}
