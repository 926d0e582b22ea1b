using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using VirtWeb.Usage;

namespace VirtWeb.IntegrationTests.Usage;

/// <summary>The app with Usage:Enabled false, and a scrape credential for Prometheus.</summary>
public sealed class SamplingOffVirtWebFactory : VirtWebFactory
{
    public const string ScrapeToken = "scrape-token-for-the-sampling-off-tests-0123456789";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Usage:Enabled", "false");
        builder.UseSetting("Usage:ScrapeToken", ScrapeToken);
    }
}

public sealed class UsageSamplingOffTests(SamplingOffVirtWebFactory factory) : IntegrationTest(factory), IClassFixture<SamplingOffVirtWebFactory>
{
    [Fact]
    public async Task Sampler_UsageDisabledAndAHostConnected_NeverStartsAndNoUsageIsLive()
    {
        var admin = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "root"), new Claim(ClaimTypes.Role, Roles.Administrator)], "test"));
        var host = await WithScopeAsync(s => s.GetRequiredService<HostService>().AddAsync(admin, new HostInput(VirtWebFactory.UniqueUserName("off"), "test:///default")));
        await Eventually.ValueAsync(() => Store.Hosts.Find(host.Id.ToString()), h => h.Connection == HostConnectionState.Connected, Deadline, "the test host connects");

        // The sampler returns at once when off (no loop to stop later), so its task is already done.
        var sampler = Service<UsageSampler>();
        Assert.NotNull(sampler.ExecuteTask);
        Assert.True(sampler.ExecuteTask.IsCompletedSuccessfully);
        Assert.Equal(0, sampler.Activity);
        Assert.Empty(Service<UsageLive>().Guests.Current());
    }

    [Fact]
    public async Task Metrics_SamplingOffWithTheScrapeToken_SaysSamplingIsOff()
    {
        using var client = Factory.CreateClient(new() { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SamplingOffVirtWebFactory.ScrapeToken);

        var response = await client.GetAsync(UsageMetrics.Path);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("virtweb_usage_sampling_enabled 0", body);
        Assert.DoesNotContain("virtweb_guest_cpu_percent{", body);
    }

    [Fact]
    public async Task Metrics_ScrapeTokenWithALetterChanged_Refused()
    {
        using var client = Factory.CreateClient(new() { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SamplingOffVirtWebFactory.ScrapeToken[..^1] + "x");

        var response = await client.GetAsync(UsageMetrics.Path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
