namespace VirtWeb.Tests.Guests;

/// <summary>A test that renders the guest list page.</summary>
public abstract class GuestListPageTest : ComponentTest
{
    protected static readonly Guid HostId = Guid.NewGuid();

    /// <summary>
    /// The list renders differently before its circuit is up (prerendering); tests look at the live page unless they
    /// say otherwise. Set before rendering: bUnit takes no services once the renderer exists.
    /// </summary>
    protected Microsoft.AspNetCore.Components.RendererInfo Renderer { get; set; } = new("Server", isInteractive: true);

    protected IRenderedComponent<GuestList> RenderList()
    {
        Context.SetRendererInfo(Renderer);
        return Context.Render<GuestList>();
    }

    protected static GuestState Guest(string name, DomainState state) =>
        new(HostId, "alpha", Guid.NewGuid(), name, state, "", 2, 262144, 262144, VirtualizationMode.Hybrid, GuestKind.VirtualMachine,
            false, true, false, false, state == DomainState.Running ? DateTimeOffset.UtcNow : null, false, []);

    protected static List<string> RowNames(IRenderedComponent<GuestList> page) =>
        page.FindAll("[data-testid=guest-name]").Select(td => td.TextContent.Trim()).ToList();

    protected static string StateOf(IRenderedComponent<GuestList> page, string name) =>
        page.FindAll("[data-testid=guests-table] tbody tr")
            .First(tr => tr.QuerySelector("[data-testid=guest-name]")?.TextContent.Trim() == name)
            .QuerySelector("[data-testid=guest-state]")!.TextContent;
}
