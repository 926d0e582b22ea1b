namespace VirtWeb.Tests;

/// <summary>
/// Owns a bUnit context set up by <see cref="TestServices.AddTestServices"/>. MudBlazor registers services that are
/// only async-disposable, and xUnit v2 disposes test classes synchronously, so the context is disposed here.
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected BunitContext Context { get; } = new BunitContext().AddTestServices();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
