using System.Diagnostics.CodeAnalysis;

namespace VirtWeb.Hosts;

/// <summary>
/// The outcome of checking a <see cref="HostInput"/>: the trimmed input and the URI to open, or per-field errors.
/// <see cref="RefusedByPolicy"/> marks a URI refused on security grounds rather than mistyped.
/// </summary>
public sealed record HostInputCheck(HostInput? Valid, string? ConnectUri, IReadOnlyDictionary<string, string> Errors, bool RefusedByPolicy);

/// <summary>What an Administrator types to add or edit a host.</summary>
public sealed record HostInput(string? Name, string? Uri)
{
    /// <summary>Checks both fields; the URI against <paramref name="policy"/>. Errors name the field and say what to do.</summary>
    public HostInputCheck Check(HostUriPolicy policy)
    {
        var problems = new Dictionary<string, string>();
        var name = Name?.Trim() ?? "";
        var uri = Uri?.Trim() ?? "";

        if (name.Length == 0)
        {
            problems[nameof(Name)] = "Give the host a name.";
        }
        else if (name.Length > HostRecordLimits.NameLength)
        {
            problems[nameof(Name)] = $"The name is {name.Length} characters long; keep it to {HostRecordLimits.NameLength}.";
        }
        else if (name.Any(char.IsControl))
        {
            problems[nameof(Name)] = "The name contains a control character (such as NUL or a line break); use printable characters only.";
        }

        var verdict = policy.Check(uri);
        if (verdict.Problem is { } uriProblem)
        {
            problems[nameof(Uri)] = uriProblem;
        }

        return problems.Count == 0
            ? new HostInputCheck(new HostInput(name, uri), verdict.ConnectUri, problems, false)
            : new HostInputCheck(null, null, problems, verdict.Refused);
    }

    /// <summary>Checks both fields; on success gives them trimmed.</summary>
    public bool TryNormalize(HostUriPolicy policy, [NotNullWhen(true)] out HostInput? normalized, out IReadOnlyDictionary<string, string> errors)
    {
        var check = Check(policy);
        normalized = check.Valid;
        errors = check.Errors;
        return normalized is not null;
    }
}
