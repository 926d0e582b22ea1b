using VirtWeb.IntegrationTests.Api;
using VirtWeb.Usage;

namespace VirtWeb.IntegrationTests.Usage;

[Collection(AppCollection.Name)]
public sealed class UsageMetricsTests(VirtWebFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task Metrics_Anonymous_Refused()
    {
        using var client = Factory.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync(UsageMetrics.Path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("API token", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_BadToken_Refused()
    {
        using var client = Client("vwt_not-a-token");

        var response = await client.GetAsync(UsageMetrics.Path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_TokenNarrowedToOneGuest_ListsThatGuestsSeriesWithLabelsAndNotTheOther()
    {
        // A host no supervisor samples, so that the usage written here stays (the sampler replaces only its own hosts').
        var hostId = Guid.NewGuid();
        var seen = new GuestUsage(hostId, Guid.NewGuid(), "vwuse-seen", DateTimeOffset.UtcNow, 62.5, 15.625, null, 262144, 0, 4096, 0, 1, 10, 20);
        var hidden = seen with { Uuid = Guid.NewGuid(), Name = "vwuse-hidden" };
        var live = Service<UsageLive>();
        live.Guests.Upsert(seen, Store.NextVersion());
        live.Guests.Upsert(hidden, Store.NextVersion());
        try
        {
            var user = await UserAsync("usagemetrics", Roles.Viewer);
            using var client = await ClientAsync(user, AccessRole.Viewer, seen.AccessPath);

            var response = await client.GetAsync(UsageMetrics.Path);
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
            Assert.Contains($"virtweb_guest_cpu_percent{{host=\"{hostId}\",guest=\"vwuse-seen\",uuid=\"{seen.Uuid}\"}} 62.5", body);
            Assert.Contains($"virtweb_guest_disk_write_bytes_per_second{{host=\"{hostId}\",guest=\"vwuse-seen\",uuid=\"{seen.Uuid}\"}} 4096", body);
            Assert.Contains("virtweb_guest_memory_bytes{", body);
            // memory in use is not reported by this guest: no sample, not a zero
            Assert.DoesNotContain("virtweb_guest_memory_used_bytes{", body);
            Assert.DoesNotContain("vwuse-hidden", body);
        }
        finally
        {
            live.Forget(hostId, Store.NextVersion());
        }
    }

    [Fact]
    public async Task History_UserWithoutAGrantOnTheGuest_RefusedAndAudited()
    {
        var hostId = Guid.NewGuid();
        var uuid = Guid.NewGuid();
        var stranger = await UserAsync("usagestranger", null);
        var viewer = await UserAsync("usageviewer", Roles.Viewer);
        var now = DateTimeOffset.UtcNow;
        var queries = Service<UsageQueries>();

        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => queries.ReadGuestAsync(SignedIn(stranger), hostId, uuid, now.AddHours(-1), now, 100));
        Assert.Contains("usage", refused.Message);
        await Assert.ThrowsAsync<AccessDeniedException>(() => queries.ReadHostAsync(SignedIn(stranger), hostId, now.AddHours(-1), now, 100));
        var denied = await AuditRowsAsync(r => r.Action == "usage.read" && r.Target == AccessPaths.Guest(hostId, uuid));
        Assert.Equal(AuditOutcome.Denied, Assert.Single(denied).Outcome);

        // The same query under a grant answers: an hour of empty buckets, a gap.
        var series = await queries.ReadGuestAsync(SignedIn(viewer), hostId, uuid, now.AddHours(-1), now, 100);
        Assert.All(series.Values["Cpu"], v => Assert.Null(v));
    }
}
