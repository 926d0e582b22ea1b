namespace VirtWeb.Access;

/// <summary>Thrown by a service method when the caller may not do what it asked; the UI shows the message.</summary>
public sealed class AccessDeniedException(string message) : Exception(message);
