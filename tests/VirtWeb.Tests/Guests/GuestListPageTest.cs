namespace VirtWeb.Tests.Guests;

/// <summary>A test that renders the guest list page.</summary>
public abstract class GuestListPageTest : ComponentTest
{
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
}
