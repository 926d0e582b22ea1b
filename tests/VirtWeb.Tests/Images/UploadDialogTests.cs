using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace VirtWeb.Tests.Images;

public sealed class UploadDialogTests : ComponentTest
{
    private const string Module = "./Images/UploadDialog.razor.js";

    private static readonly PoolState Pool = new(
        Guid.NewGuid(), "qemu", Guid.NewGuid(), "images", "dir", StoragePoolState.Running, Autostart: true, Persistent: true,
        100UL << 30, 10UL << 30, 90UL << 30, "/images");

    [Fact]
    public async Task UploadDialog_NameTypedWhileTheFileIsDescribed_KeepsTheTypedName()
    {
        var module = Context.JSInterop.SetupModule(Module);
        // Held open: the browser has not answered yet when the name is typed, as in a real circuit under load.
        var describe = module.Setup<UploadDialog.ChosenFile?>("describe", _ => true);
        var start = module.Setup<int>("start", _ => true);
        start.SetResult(1);
        var dialog = await OpenAsync();

        var choosing = dialog.InvokeAsync(() => dialog.Find("[data-testid=upload-file]").ChangeAsync(new()));
        NameInput(dialog).Input("big.raw");
        describe.SetResult(new UploadDialog.ChosenFile("disk-from-browser.qcow2", 200L << 20));
        await choosing;

        dialog.WaitForAssertion(() => Assert.Equal("big.raw", NameInput(dialog).GetAttribute("value")));
        await dialog.InvokeAsync(() => dialog.Find("[data-testid=upload-start]").Click());

        var url = (string)start.Invocations.Single().Arguments[1]!;
        Assert.Contains("name=big.raw", url);
        Assert.DoesNotContain("disk-from-browser", url);
        // The format still follows the file, since nobody picked one.
        Assert.Contains("format=qcow2", url);
    }

    [Fact]
    public async Task UploadDialog_FileChosenWithoutATypedName_DefaultsToTheFileName()
    {
        var module = Context.JSInterop.SetupModule(Module);
        module.Setup<UploadDialog.ChosenFile?>("describe", _ => true).SetResult(new UploadDialog.ChosenFile("debian.iso", 600L << 20));
        var dialog = await OpenAsync();

        await dialog.InvokeAsync(() => dialog.Find("[data-testid=upload-file]").ChangeAsync(new()));

        dialog.WaitForAssertion(() => Assert.Equal("debian.iso", NameInput(dialog).GetAttribute("value")));
    }

    // MudTextField puts the test id on the <input> itself in this MudBlazor version; either placement is fine.
    private static AngleSharp.Dom.IElement NameInput(IRenderedComponent<MudDialogProvider> dialog) =>
        dialog.Find("input[data-testid=upload-name], [data-testid=upload-name] input");

    private async Task<IRenderedComponent<MudDialogProvider>> OpenAsync()
    {
        Context.SignInAs("olga", Roles.Operator);
        Context.Services.AddSingleton<AntiforgeryStateProvider>(new FixedAntiforgery());
        Context.Render<MudPopoverProvider>();
        var provider = Context.Render<MudDialogProvider>();
        var dialogs = Context.Services.GetRequiredService<IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<UploadDialog>("Upload", new DialogParameters<UploadDialog> { { d => d.Pool, Pool } }));
        provider.WaitForAssertion(() => Assert.Single(provider.FindAll("[data-testid=upload-file]")));
        return provider;
    }

    private sealed class FixedAntiforgery : AntiforgeryStateProvider
    {
        public override AntiforgeryRequestToken GetAntiforgeryToken() => new("token", "RequestVerificationToken");
    }
}
