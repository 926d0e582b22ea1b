using System.Linq.Expressions;

namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>
/// What an integration test class shares with the others: the app under test, its live store, how long to wait for
/// that store to catch up with libvirt, and the app's services, scoped ones inside a scope of their own.
/// </summary>
public abstract class IntegrationTest(VirtWebFactory factory)
{
    protected VirtWebFactory Factory => factory;

    protected LiveStateStore Store => Service<LiveStateStore>();

    /// <summary>How long a test waits for a condition (a host connecting, a pool listed) before it fails, naming it.</summary>
    protected virtual TimeSpan Deadline => TimeSpan.FromSeconds(30);

    /// <summary>A singleton of the app.</summary>
    protected T Service<T>()
        where T : notnull => factory.Services.GetRequiredService<T>();

    /// <summary>Runs <paramref name="action"/> with the services of a fresh scope (HostService and the database are scoped).</summary>
    protected Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> action) => factory.WithScopeAsync(action);

    /// <summary>The app's own connection to a host, to change libvirt behind VirtWeb's back or to check what it did.</summary>
    protected LibvirtConnection Connection(Guid hostId) => Service<IHostConnections>().GetConnection(hostId);

    /// <summary>The audit rows that match <paramref name="where"/>, oldest first.</summary>
    protected async Task<List<AuditRecord>> AuditRowsAsync(Expression<Func<AuditRecord, bool>> where)
    {
        await using var db = await Service<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
        return await db.AuditLog.Where(where).OrderBy(r => r.Id).ToListAsync();
    }
}
