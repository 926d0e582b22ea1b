namespace VirtWeb.Access;

/// <summary>
/// A refused or failed action of a feature's service; the message names the problem and what to do, and the UI shows
/// it. <see cref="Failure"/> is the feature's own kind of failure (what was typed, the host's state, gone, ...).
/// </summary>
public abstract class RefusedException<TFailure>(string message, TFailure failure) : Exception(message)
    where TFailure : struct, Enum
{
    public TFailure Failure { get; } = failure;
}
