using VirtWeb.Consoles;

namespace VirtWeb.Tests.Consoles;

public sealed class GuestConsoleTests : ComponentTest
{
    private const string Module = "./Consoles/GuestConsole.razor.js";

    private static GuestState Guest(DomainState state) => new(
        Guid.NewGuid(), "alpha", Guid.NewGuid(), "web", state, "booted", 1, 262144, 262144,
        VirtualizationMode.Hybrid, GuestKind.VirtualMachine, false, true, false, false, null, false, []);

    [Fact]
    public void GuestConsole_NotAllowed_ExplainsAndOpensNothing()
    {
        var module = Context.JSInterop.SetupModule(Module);
        var guest = Guest(DomainState.Running);

        var console = Context.Render<GuestConsole>(p => p.Add(x => x.HostId, guest.HostId).Add(x => x.Uuid, guest.Uuid).Add(x => x.Guest, guest).Add(x => x.CanOpen, false));

        Assert.Single(console.FindAll("[data-testid=console-not-allowed]"));
        Assert.Empty(console.FindAll("[data-testid=console-screen]"));
        Assert.Empty(module.Invocations);
    }

    [Fact]
    public void GuestConsole_StoppedGuest_SaysSoAndDoesNotConnect()
    {
        var module = Context.JSInterop.SetupModule(Module);
        var guest = Guest(DomainState.Shutoff);

        var console = Context.Render<GuestConsole>(p => p.Add(x => x.HostId, guest.HostId).Add(x => x.Uuid, guest.Uuid).Add(x => x.Guest, guest).Add(x => x.CanOpen, true));

        Assert.Contains("not running", console.Find("[data-testid=console-message]").TextContent, StringComparison.Ordinal);
        Assert.Empty(module.Invocations);
    }

    [Fact]
    public void GuestConsole_RunningGuestStops_ClosesAndSaysTheGuestStopped()
    {
        var module = Context.JSInterop.SetupModule(Module);
        var handle = module.SetupModule("openGraphics", _ => true);
        handle.SetupVoid("dispose", _ => true).SetVoidResult();
        var running = Guest(DomainState.Running);
        var console = Context.Render<GuestConsole>(p => p.Add(x => x.HostId, running.HostId).Add(x => x.Uuid, running.Uuid).Add(x => x.Guest, running).Add(x => x.CanOpen, true));
        console.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "openGraphics"));
        console.InvokeAsync(() => console.Instance.OnConsoleState("connected", null));

        console.Render(p => p.Add(x => x.Guest, running with { State = DomainState.Shutoff }));

        console.WaitForAssertion(() =>
        {
            Assert.Contains("The guest stopped", console.Find("[data-testid=console-message]").TextContent, StringComparison.Ordinal);
            Assert.Single(handle.Invocations, i => i.Identifier == "dispose");
        });
    }

    [Fact]
    public void GuestConsole_ProxyClosesWithReason_ShowsIt()
    {
        var module = Context.JSInterop.SetupModule(Module);
        module.SetupModule("openGraphics", _ => true);
        var guest = Guest(DomainState.Running);
        var console = Context.Render<GuestConsole>(p => p.Add(x => x.HostId, guest.HostId).Add(x => x.Uuid, guest.Uuid).Add(x => x.Guest, guest).Add(x => x.CanOpen, true));
        console.WaitForAssertion(() => Assert.Single(module.Invocations, i => i.Identifier == "openGraphics"));

        console.InvokeAsync(() => console.Instance.OnConsoleState("disconnected", "An Administrator ended this console."));

        console.WaitForAssertion(() =>
        {
            Assert.Equal("Disconnected", console.Find("[data-testid=console-status]").TextContent.Trim());
            Assert.Contains("Administrator ended", console.Find("[data-testid=console-message]").TextContent, StringComparison.Ordinal);
        });
    }
}
