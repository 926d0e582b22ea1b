namespace VirtWeb.Networks;

/// <summary>A refused or failed network or NIC action; the message names the problem and what to do.</summary>
public sealed class NetworkException(string message, NetworkFailure failure = NetworkFailure.Invalid)
    : RefusedException<NetworkFailure>(message, failure);

public enum NetworkFailure
{
    /// <summary>What was typed is wrong (a bad name, a malformed CIDR).</summary>
    Invalid,

    /// <summary>Fine in itself, but the host's state forbids it (in use, overlapping, name taken).</summary>
    Conflict,

    /// <summary>The network, guest or host is gone.</summary>
    NotFound,
}
