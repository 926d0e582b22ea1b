using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using VirtWeb.Access;
using VirtWeb.Data;

namespace VirtWeb.Hosts;

/// <summary>The hosts Administrators added. Every change starts, restarts or stops that host's supervisor.</summary>
public sealed class HostService(
    IDbContextFactory<VirtWebDbContext> dbFactory,
    IHostSupervisors supervisors,
    TimeProvider timeProvider)
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
        caller.Require(Roles.Administrator, "add a host");
        var valid = Validate(input);

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
        await SaveAsync(db, host.Name, cancellationToken);
        await supervisors.ApplyAsync(host);
        return host;
    }

    public async Task<HostRecord> UpdateAsync(ClaimsPrincipal caller, Guid id, HostInput input, CancellationToken cancellationToken = default)
    {
        caller.Require(Roles.Administrator, "edit a host");
        var valid = Validate(input);

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var host = await db.Hosts.FirstOrDefaultAsync(h => h.Id == id, cancellationToken)
            ?? throw new InvalidHostException(new Dictionary<string, string> { [""] = "This host no longer exists; someone removed it." });
        host.Name = valid.Name!;
        host.NormalizedName = Normalize(valid.Name!);
        host.Uri = valid.Uri!;
        await SaveAsync(db, host.Name, cancellationToken);
        await supervisors.ApplyAsync(host);
        return host;
    }

    public async Task RemoveAsync(ClaimsPrincipal caller, Guid id, CancellationToken cancellationToken = default)
    {
        caller.Require(Roles.Administrator, "remove a host");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Hosts.Where(h => h.Id == id).ExecuteDeleteAsync(cancellationToken);
        await supervisors.StopAsync(id);
    }

    private static HostInput Validate(HostInput input) =>
        input.TryNormalize(out var valid, out var errors) ? valid : throw new InvalidHostException(errors);

    private static string Normalize(string name) => name.ToUpperInvariant();

    private static async Task SaveAsync(VirtWebDbContext db, string name, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // The unique index decides, so two Administrators saving the same name at once cannot both win.
            throw new InvalidHostException(new Dictionary<string, string>
            {
                [nameof(HostInput.Name)] = $"A host named '{name}' already exists; choose another name.",
            });
        }
    }
}
