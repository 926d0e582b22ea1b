using System.Net.Http.Headers;
using System.Text;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>Bodies and ids the API cannot use: each is a 400, 413 or 415 in problem details naming the problem, and nothing is made.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiInputTests(VirtWebFactory factory) : ApiTest(factory)
{
    public static TheoryData<string, string, HttpStatusCode, string> BadBodies() => new()
    {
        { "text/plain", "name=x", HttpStatusCode.UnsupportedMediaType, "" },
        { "application/json", "{ not json", HttpStatusCode.BadRequest, "JSON" },
        { "application/json", """{"hostId":"HOST","name":"api-unknown","colour":"blue"}""", HttpStatusCode.BadRequest, "colour" },
        { "application/json", """{"hostId":"HOST","name":"api-types","vcpus":"many"}""", HttpStatusCode.BadRequest, "vcpus" },
        { "application/json", """{"hostId":"HOST","name":"api-enum","disk":7}""", HttpStatusCode.BadRequest, "disk" },
        { "application/json", """{"hostId":"not-a-guid","name":"api-id"}""", HttpStatusCode.BadRequest, "hostId" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task CreateGuest_BadBody_RefusedWithProblemNothingMade(string contentType, string body, HttpStatusCode expected, string names)
    {
        var hostId = await AddPrivateHostAsync();
        var admin = await UserAsync("apiinput", Roles.Administrator);
        using var client = await ClientAsync(admin);
        var before = DomainAndVolumeCount(hostId);

        var response = await client.PostAsync("/api/v1/guests", new StringContent(body.Replace("HOST", hostId.ToString()), Encoding.UTF8, contentType));

        var problem = await ProblemAsync(response, expected);
        Assert.Contains(names, problem.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, DomainAndVolumeCount(hostId));
        Assert.Empty(await AuditRowsAsync(r => r.UserName == admin.UserName && r.Action != "token.issue"));
    }

    [Fact]
    public async Task TenMegabyteBody_Refused413NothingMade()
    {
        var hostId = await AddPrivateHostAsync();
        var admin = await UserAsync("apihuge", Roles.Administrator);
        using var client = await ClientAsync(admin);
        var huge = $$"""{"hostId":"{{hostId}}","name":"{{new string('a', 10 * 1024 * 1024)}}"}""";

        var response = await client.PostAsync("/api/v1/guests", new StringContent(huge, Encoding.UTF8, "application/json"));
        var xml = await client.PutAsync($"{GuestPath(hostId, Db)}/xml", new StringContent($"<domain>{new string(' ', 10 * 1024 * 1024)}</domain>", Encoding.UTF8, "application/xml"));

        Assert.Contains("at most", (await ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge)).Detail);
        await ProblemAsync(xml, HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(2, DomainAndVolumeCount(hostId).Domains);
        Assert.Empty(await AuditRowsAsync(r => r.UserName == admin.UserName && r.Action != "token.issue"));
    }

    [Theory]
    [InlineData("/api/v1/hosts/not-a-guid/guests/11111111-0000-0000-0000-000000000002/actions/start", "hostId")]
    [InlineData("/api/v1/hosts/HOST/guests/..%2F..%2Fetc/actions/start", "uuid")]
    [InlineData("/api/v1/hosts/HOST/guests/11111111-0000-0000-0000-000000000002/actions/explode", "explode")]
    [InlineData("/api/v1/grants/abc", "grantId")]
    public async Task IdThatDoesNotParse_Refused400NothingChanged(string path, string names)
    {
        var hostId = await AddPrivateHostAsync();
        var admin = await UserAsync("apibadid", Roles.Administrator);
        using var client = await ClientAsync(admin);

        var response = path.StartsWith("/api/v1/grants", StringComparison.Ordinal)
            ? await client.DeleteAsync(path)
            : await client.PostAsync(path.Replace("HOST", hostId.ToString()), null);

        Assert.Contains(names, (await ProblemAsync(response, HttpStatusCode.BadRequest)).Detail);
        Assert.Equal(DomainState.Shutoff, StateOf(hostId, Db));
    }

    [Fact]
    public async Task PutXml_NotXmlContentType_Refused415_MalformedXml422_GuestUnchanged()
    {
        var hostId = await AddPrivateHostAsync();
        var admin = await UserAsync("apixml", Roles.Administrator);
        using var client = await ClientAsync(admin);
        var xml = await client.GetStringAsync($"{GuestPath(hostId, Db)}/xml");

        var json = await client.PutAsync($"{GuestPath(hostId, Db)}/xml", new StringContent("{}", Encoding.UTF8, "application/json"));
        var malformed = await client.PutAsync($"{GuestPath(hostId, Db)}/xml", new StringContent("<domain><name>db", Encoding.UTF8, "application/xml"));

        await ProblemAsync(json, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("does not parse", (await ProblemAsync(malformed, HttpStatusCode.UnprocessableEntity)).Detail);
        Assert.Equal(xml, await client.GetStringAsync($"{GuestPath(hostId, Db)}/xml"));
    }

    [Fact]
    public async Task UnknownEndpointAndGoneGuest_404InProblemDetails()
    {
        var hostId = await AddPrivateHostAsync();
        var admin = await UserAsync("api404", Roles.Administrator);
        using var client = await ClientAsync(admin);

        await ProblemAsync(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound);
        await ProblemAsync(await client.GetAsync(GuestPath(hostId, Guid.NewGuid())), HttpStatusCode.NotFound);
        await ProblemAsync(await client.PostAsync($"{GuestPath(hostId, Guid.NewGuid())}/actions/start", null), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task StartRunningGuest_409WithLibvirtsMessage()
    {
        var hostId = await AddPrivateHostAsync();
        var admin = await UserAsync("api409", Roles.Administrator);
        using var client = await ClientAsync(admin);

        var problem = await ProblemAsync(await client.PostAsync($"{GuestPath(hostId, Web)}/actions/start", null), HttpStatusCode.Conflict);

        Assert.Contains("Could not start web", problem.Detail);
    }

    [Fact]
    public async Task CookieChangeFromForeignOrigin_Refused403()
    {
        var admin = await UserAsync("apiorigin", Roles.Administrator);
        using var client = await ClientAsync(admin);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/hosts/test-connection") { Content = new StringContent("{}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = null;
        request.Headers.Add("Origin", "http://evil.example");
        client.DefaultRequestHeaders.Authorization = null;

        var response = await client.SendAsync(request);

        Assert.Contains("evil.example", (await ProblemAsync(response, HttpStatusCode.Forbidden)).Detail);
        _ = new MediaTypeHeaderValue("application/json");
    }
}
