using Bunit;
using Bunit.TestDoubles;
using MudBlazor;
using VirtWeb.Components;
using VirtWeb.Snapshots;

namespace VirtWeb.IntegrationTests.Snapshots;

/// <summary>
/// The Snapshots tab rendered with bUnit on the real app services (PostgreSQL for the audit, a private test-driver
/// world): an Operator's page and a Viewer's page on the same guest, each its own circuit. What one does shows on both
/// without a reload.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class SnapshotsTabTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    // A deadline, not a pace: a revert takes a safety snapshot first, and other tests load the 2 cores meanwhile.
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private readonly BunitContext _operator = new();
    private readonly BunitContext _viewer = new();

    public Task InitializeAsync() => Task.CompletedTask;

    [Fact]
    public async Task TwoPages_CreateRevertDelete_BothFollowLiveAndOnlyTheOperatorActs()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(Factory, SnapshotWorld.Write());
        var guest = Store.Guests.Find(GuestState.KeyOf(hostId, SnapshotWorld.Web))!;
        var acting = Render(_operator, "olga", Roles.Operator, guest);
        var watching = Render(_viewer, "vic", Roles.Viewer, guest);
        acting.WaitForAssertion(() => acting.Find("[data-testid=snapshot-none]"), Wait);
        watching.WaitForAssertion(() => watching.Find("[data-testid=snapshot-none]"), Wait);
        Assert.Empty(watching.FindAll("[data-testid=snapshot-new]"));

        await acting.InvokeAsync(() => acting.Find("[data-testid=snapshot-new]").Click());
        acting.WaitForAssertion(() => Assert.Contains("Pool images", acting.Find("[data-testid=snapshot-cost]").TextContent, StringComparison.Ordinal), Wait);
        await acting.InvokeAsync(() => NameInput(acting).Input("a/b"));
        acting.WaitForAssertion(() =>
        {
            Assert.Contains("'/'", acting.Find("[data-testid=snapshot-refusal]").TextContent, StringComparison.Ordinal);
            Assert.True(acting.Find("button[data-testid=snapshot-take]").HasAttribute("disabled"));
        }, Wait);
        await acting.InvokeAsync(() => NameInput(acting).Input("ui-one"));
        acting.WaitForAssertion(() => Assert.Empty(acting.FindAll("[data-testid=snapshot-refusal]")), Wait);
        await acting.InvokeAsync(() => acting.Find("button[data-testid=snapshot-take]").Click());

        foreach (var page in new[] { acting, watching })
        {
            page.WaitForAssertion(() =>
            {
                var row = Assert.Single(page.FindAll("[data-testid=snapshot-row]"));
                Assert.Equal("ui-one", row.GetAttribute("data-name"));
                Assert.Contains("running, with memory", row.TextContent, StringComparison.Ordinal);
                Assert.Contains("internal, in the qcow2", row.TextContent, StringComparison.Ordinal);
                // The test driver's volumes have no qcow2 bytes to read: the tab says so rather than guess.
                Assert.Contains("memory state: size unknown, up to ", row.TextContent, StringComparison.Ordinal);
                Assert.Contains(SnapshotText.InternalDiskPart, row.TextContent, StringComparison.Ordinal);
                Assert.NotNull(row.QuerySelector("[data-testid=snapshot-current]"));
            }, Wait);
        }

        Assert.Empty(watching.FindAll("button[aria-label='Revert to ui-one']"));
        await acting.InvokeAsync(() => acting.Find("button[aria-label='Revert to ui-one']").Click());
        acting.WaitForAssertion(() => Assert.Contains("ui-one", acting.Find("[data-testid=snapshot-confirm]").TextContent, StringComparison.Ordinal), Wait);
        await acting.InvokeAsync(() => acting.Find("button[data-testid=snapshot-revert-confirm]").Click());

        foreach (var page in new[] { acting, watching })
        {
            page.WaitForAssertion(() =>
            {
                var rows = page.FindAll("[data-testid=snapshot-row]");
                Assert.Equal(2, rows.Count);
                Assert.Contains(rows, r => r.GetAttribute("data-parent") == "ui-one" && r.GetAttribute("data-name")!.StartsWith("before-ui-one-", StringComparison.Ordinal));
                // The safety snapshot shows before the revert itself is done; once it is, ui-one is current again.
                Assert.NotNull(rows.Single(r => r.GetAttribute("data-name") == "ui-one").QuerySelector("[data-testid=snapshot-current]"));
            }, Wait);
        }

        acting.WaitForAssertion(() => Assert.False(acting.Find("button[aria-label='Delete ui-one']").HasAttribute("disabled")), Wait);
        await acting.InvokeAsync(() => acting.Find("button[aria-label='Delete ui-one']").Click());
        acting.WaitForAssertion(() => acting.Find("[data-testid=snapshot-descendants]"), Wait);
        await acting.InvokeAsync(() => acting.Find("button[data-testid=snapshot-delete-confirm]").Click());

        foreach (var page in new[] { acting, watching })
        {
            page.WaitForAssertion(() =>
            {
                var row = Assert.Single(page.FindAll("[data-testid=snapshot-row]"));
                Assert.StartsWith("before-ui-one-", row.GetAttribute("data-name"), StringComparison.Ordinal);
                Assert.True(string.IsNullOrEmpty(row.GetAttribute("data-parent")), "the child of the deleted snapshot is a root now");
            }, Wait);
        }
    }

    [Fact]
    public async Task Compare_AfterTheDefinitionChanged_ShowsTheLineDiff()
    {
        var hostId = await GuestWorld.AddPrivateHostAsync(Factory, SnapshotWorld.Write());
        await Service<SnapshotService>().CreateAsync(GuestWorld.Admin, hostId, SnapshotWorld.Db, new SnapshotCreateInput("cmp", null, SnapshotKind.Internal, false));
        var xml = Connection(hostId).GetDomainByUuid(SnapshotWorld.Db).GetXml(DomainXmlFlags.Inactive).Replace("<memory unit='KiB'>262144</memory>", "<memory unit='KiB'>524288</memory>", StringComparison.Ordinal);
        await Service<GuestService>().UpdateXmlAsync(GuestWorld.Admin, hostId, SnapshotWorld.Db, xml);
        var page = Render(_viewer, "vic", Roles.Viewer, Store.Guests.Find(GuestState.KeyOf(hostId, SnapshotWorld.Db))!);
        page.WaitForAssertion(() => page.Find("button[aria-label='Compare cmp']"), Wait);

        await page.InvokeAsync(() => page.Find("button[aria-label='Compare cmp']").Click());

        page.WaitForAssertion(() =>
        {
            var diff = page.Find("[data-testid=snapshot-diff]").TextContent;
            Assert.Contains("- ", diff, StringComparison.Ordinal);
            Assert.Contains("262144", diff, StringComparison.Ordinal);
            Assert.Contains("524288", diff, StringComparison.Ordinal);
        }, Wait);
    }

    private IRenderedComponent<GuestSnapshots> Render(BunitContext context, string user, string role, GuestState guest)
    {
        context.Services.AddComponentsServices(mud => mud.PopoverOptions.CheckForPopoverProvider = false);
        context.Services.AddSingleton(Service<SnapshotService>());
        context.Services.AddSingleton(Service<AccessControl>());
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        var authorization = context.AddAuthorization();
        authorization.SetAuthorized(user);
        authorization.SetRoles(role);
        authorization.SetClaims(new Claim(ClaimTypes.Role, role));
        return context.Render<GuestSnapshots>(p => p.Add(x => x.Guest, guest));
    }

    private static AngleSharp.Dom.IElement NameInput(IRenderedComponent<GuestSnapshots> page) =>
        page.Find("input[data-testid=snapshot-name], [data-testid=snapshot-name] input");

    public async Task DisposeAsync()
    {
        await _operator.DisposeAsync();
        await _viewer.DisposeAsync();
    }
}
