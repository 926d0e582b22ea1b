using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace VirtWeb.IntegrationTests.Images;

/// <summary>The upload and download endpoints over HTTP, signed in through the real form, into a libvirtd dir pool.</summary>
[Collection(AppCollection.Name)]
public sealed class ImageEndpointTests(VirtWebFactory factory) : IntegrationTest(factory), IAsyncLifetime
{
    private QemuPool _pool = null!;

    public async Task InitializeAsync() => _pool = await QemuPool.CreateAsync(Factory);

    public async Task DisposeAsync() => await _pool.DisposeAsync();

    [Fact]
    public async Task UploadThenDownload_Operator_SameBytesBack()
    {
        var client = await SignedInAsync(Roles.Operator);
        var payload = RandomNumberGenerator.GetBytes((5 << 20) + 4321);

        var upload = await UploadAsync(client, "http.raw", payload, withToken: true);

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        var path = await upload.Content.ReadAsStringAsync();
        Assert.Equal(_pool.PathOf("http.raw"), path);
        var download = await client.Http.GetAsync($"/api/images/download?host={_pool.HostId}&path={Uri.EscapeDataString(path)}");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(await download.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Upload_WithoutAntiforgeryToken_RefusedAndNothingCreated()
    {
        var client = await SignedInAsync(Roles.Operator);

        var upload = await UploadAsync(client, "forged.raw", new byte[4096], withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, upload.StatusCode);
        Assert.Contains("antiforgery", await upload.Content.ReadAsStringAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Fact]
    public async Task Upload_Viewer_ForbiddenAndNothingCreated()
    {
        var client = await SignedInAsync(Roles.Viewer);

        var upload = await UploadAsync(client, "viewer.raw", new byte[4096], withToken: true);

        Assert.Equal(HttpStatusCode.Forbidden, upload.StatusCode);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Fact]
    public async Task Upload_LargerThanTheVolume_RefusedWithReason()
    {
        var client = await SignedInAsync(Roles.Operator);

        var upload = await UploadAsync(client, "small.raw", new byte[2 << 20], withToken: true, capacity: 1 << 20);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, upload.StatusCode);
        Assert.Contains("larger than the volume", await upload.Content.ReadAsStringAsync());
        Assert.Empty(Directory.EnumerateFileSystemEntries(_pool.Directory));
    }

    [Fact]
    public async Task Endpoints_Anonymous_NotServed()
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });

        var download = await client.GetAsync($"/api/images/download?host={_pool.HostId}&path=/etc/passwd");

        Assert.NotEqual(HttpStatusCode.OK, download.StatusCode);
    }

    private async Task<BrowserlessClient> SignedInAsync(string role)
    {
        var name = VirtWebFactory.UniqueUserName("img");
        await Factory.CreateUserAsync(name, role);
        var client = BrowserlessClient.Create(Factory);
        await client.SignInAsync(name, VirtWebFactory.UserPassword);
        return client;
    }

    private async Task<HttpResponseMessage> UploadAsync(BrowserlessClient client, string name, byte[] payload, bool withToken, long? capacity = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post,
            $"/api/images/upload?host={_pool.HostId}&pool={_pool.Name}&name={name}&format=raw{(capacity is { } c ? $"&capacity={c}" : "")}")
        {
            Content = new ByteArrayContent(payload),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        if (withToken)
        {
            request.Headers.Add("RequestVerificationToken", await client.AntiforgeryTokenAsync("/Account/Manage/ChangePassword"));
        }

        return await client.Http.SendAsync(request);
    }
}
