using System.Security.Cryptography;
using VirtWeb.IntegrationTests.Images;

namespace VirtWeb.EndToEnd;

public sealed class ImagesTests(KestrelVirtWebFactory app, BrowserFixture browser) : BrowserTest(app, browser), IAsyncLifetime
{
    private const int FileSize = 200 << 20;

    private QemuPool _pool = null!;
    private string _file = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _pool = await QemuPool.CreateAsync(App);
        _file = Path.Combine(Path.GetTempPath(), $"virtweb-upload-{Guid.NewGuid():N}.raw");
        await File.WriteAllBytesAsync(_file, RandomNumberGenerator.GetBytes(FileSize));
        await SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
    }

    [Fact]
    public async Task Upload_200MB_CancelHalfWayLeavesNothingThenFullUploadAndDownloadMatch()
    {
        await Page.GotoAsync("/images");
        await Page.WaitForInteractiveAsync();
        var pool = Page.Locator($"[data-pool='{_pool.Name}']");

        // Slow the browser's upload down so "half-way" is a moment a test can catch.
        var cdp = await Page.Context.NewCDPSessionAsync(Page);
        await cdp.SendAsync("Network.enable");
        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = 20 << 20,
        });

        await pool.GetByTestId("upload").ClickAsync();
        var dialog = Page.GetByRole(AriaRole.Dialog);
        await dialog.GetByTestId("upload-file").SetInputFilesAsync(_file);
        // As a person would: type once the dialog shows the chosen file. Its default name arrives from the server, and
        // landing in the field while Fill types made "<file name>big.raw".
        await Expect(dialog.GetByTestId("upload-size")).ToBeVisibleAsync();
        var name = dialog.GetByLabel("Volume name");
        await name.FillAsync("big.raw");
        await Expect(name).ToHaveValueAsync("big.raw");
        await dialog.GetByTestId("upload-start").ClickAsync();
        await Expect(dialog.GetByTestId("upload-progress-text")).ToContainTextAsync("%");
        await Page.WaitForFunctionAsync(
            "() => { const p = document.querySelector('[data-testid=upload-progress]'); return p && +p.dataset.percent >= 30; }",
            null, new() { Timeout = 60_000 });
        await dialog.GetByTestId("upload-cancel").ClickAsync();
        await Expect(dialog.GetByTestId("upload-error")).ToContainTextAsync("cancelled");

        await Eventually.ValueAsync(
            () => _pool.ListVolumeNames().Count == 0 ? "empty" : null,
            _ => true, TimeSpan.FromSeconds(30), "the cancelled upload leaves no file in the pool");

        await cdp.SendAsync("Network.emulateNetworkConditions", new Dictionary<string, object>
        {
            ["offline"] = false, ["latency"] = 0, ["downloadThroughput"] = -1, ["uploadThroughput"] = -1,
        });
        await dialog.GetByTestId("upload-start").ClickAsync();
        await Expect(dialog).ToHaveCountAsync(0, new() { Timeout = 120_000 });

        var row = pool.GetByRole(AriaRole.Row).Filter(new() { Has = Page.GetByTestId("volume-name").GetByText("big.raw", new() { Exact = true }) });
        await Expect(row.GetByTestId("volume-capacity")).ToHaveTextAsync("200 MiB", new() { Timeout = 30_000 });
        Assert.Equal(FileSize, new FileInfo(_pool.PathOf("big.raw")).Length);

        var downloading = Page.WaitForDownloadAsync(new() { Timeout = 120_000 });
        await row.GetByRole(AriaRole.Link, new() { Name = "Download big.raw" }).ClickAsync();
        var download = await downloading;
        var saved = _file + ".back";
        await download.SaveAsAsync(saved);
        try
        {
            Assert.Equal(await HashAsync(_file), await HashAsync(saved));
        }
        finally
        {
            File.Delete(saved);
        }
    }

    private static async Task<byte[]> HashAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        return await SHA256.HashDataAsync(stream);
    }

    // BrowserTest.DisposeAsync is not virtual: re-implementing the interface adds the pool and file clean-up.
    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _pool.DisposeAsync();
        File.Delete(_file);
    }
}
