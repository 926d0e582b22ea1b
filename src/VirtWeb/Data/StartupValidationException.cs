namespace VirtWeb.Data;

/// <summary>
/// A configuration or environment problem that makes starting pointless. Program prints its message as
/// one line and exits non-zero, so the message must name the setting and what to do.
/// </summary>
public sealed class StartupValidationException(string message, Exception? innerException = null)
    : Exception(message, innerException);
