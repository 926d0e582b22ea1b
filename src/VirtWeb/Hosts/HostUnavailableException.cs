namespace VirtWeb.Hosts;

/// <summary>An action needs a host that is removed or not connected; the message says which and what to do.</summary>
public sealed class HostUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
