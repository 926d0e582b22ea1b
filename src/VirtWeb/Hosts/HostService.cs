using Npgsql;

namespace VirtWeb.Hosts;

/// <summary>
/// The hosts Administrators added. Every change starts, restarts or stops that host's supervisor. Every URI, saved or
/// only tested, passes <see cref="HostUriPolicy"/> first.
/// </summary>
public sealed class HostService(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    IHostConnections hostConnections,
    IConnectionProbe probe,
    HostUriPolicy policy,
    AuditLog audit,
    AccessControl access,
    TimeProvider timeProvider,
    VirtWeb.Cluster.IClusterBus bus)
{
    public async Task<IReadOnlyList<HostRecord>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Hosts.AsNoTracking().OrderBy(h => h.Name).ToListAsync(cancellationToken);
    }

    public async Task<HostRecord?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Hosts.AsNoTracking().FirstOrDefaultAsync(h => h.Id == id, cancellationToken);
    }

    public async Task<HostRecord> AddAsync(ClaimsPrincipal caller, HostInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageHosts, "host.add", AccessPaths.Hosts, "add a host");
        var (valid, _) = await ValidateAsync(caller, "host.add", AccessPaths.Hosts, input);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var host = new HostRecord
        {
            Id = Guid.NewGuid(),
            Name = valid.Name!,
            NormalizedName = Normalize(valid.Name!),
            Uri = valid.Uri!,
            AddedBy = caller.Identity!.Name ?? "unknown",
            AddedAt = timeProvider.GetUtcNow(),
        };
        db.Hosts.Add(host);
        await SaveAsync(caller, "host.add", db, host, cancellationToken);
        await hostConnections.ApplyAsync(host);
        await audit.WriteAsync(caller, "host.add", AccessPaths.Host(host.Id), AuditOutcome.Success, $"{host.Name} ({host.Uri})");
        return host;
    }

    public async Task<HostRecord> UpdateAsync(ClaimsPrincipal caller, Guid id, HostInput input, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageHosts, "host.edit", AccessPaths.Host(id), "edit a host");
        var (valid, _) = await ValidateAsync(caller, "host.edit", AccessPaths.Host(id), input);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var host = await db.Hosts.FirstOrDefaultAsync(h => h.Id == id, cancellationToken);
        if (host is null)
        {
            var gone = new InvalidHostException(new Dictionary<string, string> { [""] = "This host no longer exists; someone removed it." });
            await audit.WriteAsync(caller, "host.edit", AccessPaths.Host(id), AuditOutcome.Failure, gone.Message);
            throw gone;
        }

        host.Name = valid.Name!;
        host.NormalizedName = Normalize(valid.Name!);
        host.Uri = valid.Uri!;
        await SaveAsync(caller, "host.edit", db, host, cancellationToken);
        await hostConnections.ApplyAsync(host);
        await audit.WriteAsync(caller, "host.edit", AccessPaths.Host(host.Id), AuditOutcome.Success, $"{host.Name} ({host.Uri})");
        return host;
    }

    public async Task RemoveAsync(ClaimsPrincipal caller, Guid id, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageHosts, "host.remove", AccessPaths.Host(id), "remove a host");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var removed = await db.Hosts.Where(h => h.Id == id).ExecuteDeleteAsync(cancellationToken);
        await hostConnections.StopAsync(id);
        await bus.HostRemovedAsync(id);
        await audit.WriteAsync(caller, "host.remove", AccessPaths.Host(id),
            removed > 0 ? AuditOutcome.Success : AuditOutcome.Failure, removed > 0 ? null : "the host was already removed");
    }

    /// <summary>
    /// Opens <paramref name="input"/>'s URI once, for an Administrator of the hosts (or of <paramref name="hostId"/>,
    /// the host being edited), under the same policy as saving it. Only the URI is checked; the name may be unfinished.
    /// </summary>
    public async Task<ConnectionProbeResult> TestConnectionAsync(ClaimsPrincipal caller, HostInput input, Guid? hostId, CancellationToken cancellationToken = default)
    {
        var target = hostId is { } id ? AccessPaths.Host(id) : AccessPaths.Hosts;
        await access.RequireAsync(caller, Permission.ManageHosts, "host.test", target, "test a host connection");
        var (valid, connectUri) = await ValidateAsync(caller, "host.test", target, input with { Name = "connection test" });

        var result = await probe.ProbeAsync(valid.Uri!, connectUri, cancellationToken);
        await audit.WriteAsync(caller, "host.test", target, result.Succeeded ? AuditOutcome.Success : AuditOutcome.Failure, $"{valid.Uri}: {result.Message}");
        return result;
    }

    private async Task<(HostInput Valid, string ConnectUri)> ValidateAsync(ClaimsPrincipal caller, string action, string target, HostInput input)
    {
        var check = input.Check(policy);
        if (check.Valid is { } valid)
        {
            return (valid, check.ConnectUri!);
        }

        var refused = new InvalidHostException(check.Errors);
        // A refusal on security grounds records what was tried: the trail is where an attempt shows.
        await audit.WriteAsync(caller, action, target, check.RefusedByPolicy ? AuditOutcome.Denied : AuditOutcome.Failure,
            check.RefusedByPolicy ? $"{input.Uri?.Trim()}: {refused.Message}" : refused.Message);
        throw refused;
    }

    private static string Normalize(string name) => name.ToUpperInvariant();

    private async Task SaveAsync(ClaimsPrincipal caller, string action, VirtWebDbContext db, HostRecord host, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // The unique index decides, so two Administrators saving the same name at once cannot both win.
            var duplicate = new InvalidHostException(new Dictionary<string, string>
            {
                [nameof(HostInput.Name)] = $"A host named '{host.Name}' already exists; choose another name.",
            });
            await audit.WriteAsync(caller, action, AccessPaths.Host(host.Id), AuditOutcome.Failure, duplicate.Message);
            throw duplicate;
        }
    }
}
