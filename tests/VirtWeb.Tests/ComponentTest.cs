namespace VirtWeb.Tests;

/// <summary>
/// Owns a bUnit context set up by <see cref="TestServices.AddTestServices"/>. MudBlazor registers services that are
/// only async-disposable, and xUnit v2 disposes test classes synchronously, so the context is disposed here.
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    static ComponentTest()
    {
        // Live pages render from channel readers and timers on the thread pool. WaitForAssertion blocks a pool thread,
        // and on a 2-core machine running test classes in parallel the pool may take a second to add threads, so the
        // 1 s default would fail a correct page now and then. A deadline is still a deadline.
        BunitContext.DefaultWaitTimeout = TimeSpan.FromSeconds(10);
    }

    protected BunitContext Context { get; } = new BunitContext().AddTestServices();

    /// <summary>The live store the pages render from; a test fills it where the watchers would.</summary>
    protected LiveStateStore Store => Context.Services.GetRequiredService<LiveStateStore>();

    /// <summary>Puts <paramref name="items"/> into one of the store's collections in order, each at a version of its own, as a watcher would.</summary>
    protected void Upsert<TItem>(LiveCollection<TItem> collection, params TItem[] items)
        where TItem : class
    {
        foreach (var item in items)
        {
            collection.Upsert(item, Store.NextVersion());
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
