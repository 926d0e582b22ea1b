namespace VirtWeb.Access;

/// <summary>
/// The frame of a feature's change on a host once its role check passed: the change runs off the caller's thread on
/// the host's connection, libvirt's error becomes the feature's own refusal, and the audit row is written either way
/// (a refusal with its message, then thrown; a success with what the change says of itself).
/// </summary>
public static class AuditedChange
{
    public static async Task<T> RunAsync<T, TFailure>(
        this AuditLog audit, ClaimsPrincipal user, string action, string target,
        Func<T> change, Func<LibvirtException, RefusedException<TFailure>> translate, Func<T, string?> detail,
        Func<RefusedException<TFailure>, AuditOutcome>? outcomeOf = null)
        where TFailure : struct, Enum
    {
        T result;
        try
        {
            result = await Task.Run(() =>
            {
                try
                {
                    return change();
                }
                catch (LibvirtException e)
                {
                    throw translate(e);
                }
            });
        }
        catch (RefusedException<TFailure> e)
        {
            await audit.WriteAsync(user, action, target, outcomeOf?.Invoke(e) ?? AuditOutcome.Failure, e.Message);
            throw;
        }

        await audit.WriteAsync(user, action, target, AuditOutcome.Success, detail(result));
        return result;
    }

    /// <summary>The host's live connection; a host that is not connected is the feature's "not found" refusal.</summary>
    public static LibvirtConnection ConnectionOr(this IHostConnections hosts, Guid hostId, Func<string, Exception> notFound)
    {
        try
        {
            return hosts.GetConnection(hostId);
        }
        catch (HostUnavailableException e)
        {
            throw notFound(e.Message);
        }
    }
}
