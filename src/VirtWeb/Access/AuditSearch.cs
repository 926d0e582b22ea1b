namespace VirtWeb.Access;

/// <summary>Reads the audit trail for the audit page: who manages access (Administrators) may read it.</summary>
public sealed class AuditSearch(IDbContextFactory<VirtWebDbContext> dbFactory, AccessControl access)
{
    public async Task<IReadOnlyList<AuditRecord>> SearchAsync(ClaimsPrincipal caller, AuditQuery query, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.ManageAccess, "audit.search", "/audit", "read the audit trail");

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = db.AuditLog.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(query.UserName))
        {
            rows = rows.Where(r => r.UserName == query.UserName.Trim());
        }

        if (!string.IsNullOrWhiteSpace(query.Target))
        {
            var target = query.Target.Trim();
            rows = rows.Where(r => r.Target.StartsWith(target));
        }

        if (!string.IsNullOrWhiteSpace(query.Action))
        {
            var action = query.Action.Trim();
            rows = rows.Where(r => r.Action.StartsWith(action));
        }

        if (query.From is { } from)
        {
            rows = rows.Where(r => r.At >= from);
        }

        if (query.To is { } to)
        {
            rows = rows.Where(r => r.At <= to);
        }

        return await rows.OrderByDescending(r => r.Id).Take(Math.Clamp(query.Limit, 1, 1000)).ToListAsync(cancellationToken);
    }
}
