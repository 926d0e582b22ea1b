using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using VirtWeb.Api;
using VirtWeb.Api.Tokens;
using VirtWeb.IntegrationTests.Access;
using VirtWeb.Libvirt.Xml;
using VirtWeb.Networks;
using VirtWeb.Snapshots;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>
/// Lists every route of <c>/api/v1</c> from the app's own endpoints and calls each one that changes something with a
/// Viewer's token: each must answer 403 in problem details, write exactly one Denied audit row and change nothing.
/// A new route is covered the day it is mapped; one whose body this test cannot make fails and says so.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ApiViewerTests(VirtWebFactory factory) : ApiTest(factory)
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    [Fact]
    public void Routes_ListEveryArea()
    {
        var routes = Routes().Select(r => $"{r.Method} {r.Endpoint.RoutePattern.RawText}").ToList();

        Assert.Contains("GET /api/v1/guests", routes);
        Assert.Contains("POST /api/v1/hosts/{hostId}/guests/{uuid}/actions/{action}", routes);
        Assert.Contains("PUT /api/v1/hosts/{hostId}/guests/{uuid}/xml", routes);
        Assert.Contains("PUT /api/v1/hosts/{hostId}/pools/{pool}/volumes/{name}/content", routes);
        Assert.Contains("POST /api/v1/hosts/{hostId}/guests/{uuid}/machine-id/assign", routes);
        Assert.Contains("POST /api/v1/hosts/{hostId}/guests/{uuid}/console-tickets", routes);
        Assert.Contains("PUT /api/v1/users/{userId}/role", routes);
        Assert.Contains("GET /api/v1/audit", routes);
        Assert.Contains("DELETE /api/v1/tokens/{tokenId}", routes);
        Assert.Contains("POST /api/v1/hosts/{hostId}/guests/{uuid}/snapshots/{snapshot}/revert", routes);
        Assert.Contains("GET /api/v1/leases", routes);
        Assert.Contains("PUT /api/v1/hosts/{hostId}/networks/{network}/dhcp/range", routes);
        Assert.Contains("POST /api/v1/hosts/{hostId}/guests/{uuid}/nics", routes);
    }

    [Fact]
    public async Task EveryChangingRoute_CalledWithViewerToken_403OneDeniedRowNothingChanged()
    {
        var hostId = await AddPrivateHostAsync();
        var victim = await UserAsync("apivictim", Roles.Operator);
        var victimToken = await IssueAsync(victim);
        var changing = Routes().Where(r => r.Method is not "GET" and not "HEAD").ToList();
        Assert.True(changing.Count >= 30, $"Only {changing.Count} changing routes found.");
        var failures = new List<string>();

        foreach (var (method, endpoint) in changing)
        {
            var route = $"{method} {endpoint.RoutePattern.RawText}";
            var viewer = await UserAsync("apiview", Roles.Viewer);
            using var client = await ClientAsync(viewer);
            var before = await ServicePolicyTests.SnapshotAsync(Factory, hostId, hostId, victim.Id);

            using var request = Request(method, endpoint, hostId, victim, victimToken.Token.Id);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var denied = await AuditRowsAsync(r => r.UserName == viewer.UserName && r.Outcome == AuditOutcome.Denied);

            if (response.StatusCode != HttpStatusCode.Forbidden || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            {
                failures.Add($"{route}: {(int)response.StatusCode} {body}");
            }
            else if (denied.Count != 1)
            {
                failures.Add($"{route}: {denied.Count} Denied audit rows");
            }
            else if (await ServicePolicyTests.SnapshotAsync(Factory, hostId, hostId, victim.Id) != before)
            {
                failures.Add($"{route}: something changed");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Null((await Service<ApiTokenService>().ListOwnAsync(SignedIn(victim))).Single().RevokedAt);
    }

    [Fact]
    public async Task EveryReadingRoute_CalledWithViewerToken_AnswersWithoutFailing()
    {
        var hostId = await AddPrivateHostAsync();
        var victim = await UserAsync("apivictim", Roles.Operator);
        var viewer = await UserAsync("apiread", Roles.Viewer);
        using var client = await ClientAsync(viewer);
        var failures = new List<string>();

        foreach (var (_, endpoint) in Routes().Where(r => r.Method == "GET"))
        {
            // Headers only: the event stream never ends by itself.
            using var response = await client.SendAsync(Request("GET", endpoint, hostId, victim, Guid.NewGuid()), HttpCompletionOption.ResponseHeadersRead);
            // 404 (in problem details) where the sample object is not in the world: a network or snapshot by name.
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
                || (response.StatusCode == HttpStatusCode.NotFound && response.Content.Headers.ContentType?.MediaType != "application/problem+json"))
            {
                failures.Add($"GET {endpoint.RoutePattern.RawText}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>A plausible call of the route, so that only the policy stands between it and a change.</summary>
    private static HttpRequestMessage Request(string method, RouteEndpoint endpoint, Guid hostId, ApplicationUser victim, Guid victimTokenId)
    {
        var path = endpoint.RoutePattern.Parameters.Aggregate(endpoint.RoutePattern.RawText!, (text, parameter) => text.Replace(
            $"{{{parameter.Name}}}",
            Uri.EscapeDataString(parameter.Name switch
            {
                "hostId" => hostId.ToString(),
                "uuid" => Db.ToString(),
                "action" => "start",
                "pool" => "images",
                "name" => "reflect-vol",
                "userId" => victim.Id,
                "grantId" => "1",
                "tokenId" => victimTokenId.ToString(),
                "snapshot" => "reflect-snap",
                "network" => "default",
                "mac" => "52:54:00:12:34:56",
                var other => throw new InvalidOperationException($"Teach ApiViewerTests a value for the route parameter '{other}'."),
            }), StringComparison.Ordinal));
        var request = new HttpRequestMessage(new HttpMethod(method), $"{path}?confirmName=db&deleteDisks=true&format=raw&path=/images/db.qcow2");
        if (endpoint.Metadata.GetMetadata<IAcceptsMetadata>() is { } accepts && method != "GET")
        {
            request.Content = Body(accepts, hostId, victim);
        }

        return request;
    }

    private static HttpContent Body(IAcceptsMetadata accepts, Guid hostId, ApplicationUser victim)
    {
        if (accepts.ContentTypes.Contains("application/xml"))
        {
            return new StringContent("<domain type='test'><name>db</name></domain>", Encoding.UTF8, "application/xml");
        }

        if (accepts.ContentTypes.Contains("application/octet-stream"))
        {
            var bytes = new ByteArrayContent(new byte[4096]);
            bytes.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return bytes;
        }

        object body = accepts.RequestType switch
        {
            var t when t == typeof(GuestCreateInput) => new GuestCreateInput(hostId, "reflect-new", Disk: GuestDiskChoice.None),
            var t when t == typeof(GuestCloneRequest) => new GuestCloneRequest("reflect-clone"),
            var t when t == typeof(HostInput) => new HostInput("reflect-host", "test:///default"),
            var t when t == typeof(HostTestRequest) => new HostTestRequest("test:///default"),
            var t when t == typeof(PoolCreateRequest) => new PoolCreateRequest("reflect-pool", "/var/lib/libvirt/images/reflect"),
            var t when t == typeof(AutostartRequest) => new AutostartRequest(true),
            var t when t == typeof(VolumeCreateRequest) => new VolumeCreateRequest("reflect-vol", "raw", 1 << 20),
            var t when t == typeof(VolumeCloneRequest) => new VolumeCloneRequest("/images/db.qcow2", "images", "reflect-copy", "raw"),
            var t when t == typeof(VolumeResizeRequest) => new VolumeResizeRequest("/images/db.qcow2", 2L << 30),
            var t when t == typeof(VolumePathRequest) => new VolumePathRequest("/images/db.qcow2"),
            var t when t == typeof(ConsoleTicketRequest) => new ConsoleTicketRequest("graphics"),
            var t when t == typeof(UserCreateRequest) => new UserCreateRequest("reflect-user", Roles.Administrator),
            var t when t == typeof(UserRoleRequest) => new UserRoleRequest(Roles.Administrator),
            var t when t == typeof(GrantRequest) => new GrantRequest(victim.UserName!, "/", AccessRole.Administrator),
            var t when t == typeof(ApiTokenRequest) => new ApiTokenRequest("reflect"),
            var t when t == typeof(SnapshotCreateInput) => new SnapshotCreateInput("reflect-snap", null, SnapshotKind.Internal, WithMemory: false),
            var t when t == typeof(SnapshotRevertRequest) => new SnapshotRevertRequest(),
            var t when t == typeof(NetworkInput) => new NetworkInput("reflect-net", NetworkMode.Nat, "10.254.7.1/24"),
            var t when t == typeof(DhcpRangeRequest) => new DhcpRangeRequest("10.254.7.10", "10.254.7.20"),
            var t when t == typeof(DhcpHostRequest) => new DhcpHostRequest("52:54:00:12:34:56", "10.254.7.30"),
            var t when t == typeof(NicInput) => new NicInput("default"),
            var t when t == typeof(NicNetworkRequest) => new NicNetworkRequest("default"),
            var t when t == typeof(NicLinkRequest) => new NicLinkRequest(false),
            var t => throw new InvalidOperationException($"Teach ApiViewerTests to make a {t?.Name} body."),
        };
        return new StringContent(JsonSerializer.Serialize(body, body.GetType(), s_json), Encoding.UTF8, "application/json");
    }
}
