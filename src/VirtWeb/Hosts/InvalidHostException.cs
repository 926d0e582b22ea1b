namespace VirtWeb.Hosts;

/// <summary>The input for a host was refused; <see cref="Errors"/> says, per field, what is wrong and what to do.</summary>
public sealed class InvalidHostException(IReadOnlyDictionary<string, string> errors)
    : Exception(string.Join(" ", errors.Values))
{
    public IReadOnlyDictionary<string, string> Errors { get; } = errors;
}
