namespace VirtWeb.Access;

/// <summary>Thrown by a service method when the caller may not do what it asked; the UI shows the message.</summary>
public sealed class AccessDeniedException(string message) : Exception(message)
{
    /// <summary>Refused because the audit trail's database cannot be reached, not for the caller's rights: the API answers 503.</summary>
    public bool DatabaseUnreachable { get; init; }
}
