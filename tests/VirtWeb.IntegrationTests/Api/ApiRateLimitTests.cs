using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>Per-token and per-user limits: over either, 429 with Retry-After in problem details.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiRateLimitTests(VirtWebFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task OverTokenThenUserLimit_429WithRetryAfter()
    {
        await using var limited = Factory.WithWebHostBuilder(builder => builder
            .UseSetting("Api:RateLimit:PerTokenPerMinute", "3")
            .UseSetting("Api:RateLimit:PerUserPerMinute", "5"));
        var user = await UserAsync("apilimit", Roles.Viewer);
        await limited.Services.GetRequiredService<AccessControl>().ReloadAsync();
        var first = await IssueAsync(user);
        var second = await IssueAsync(user);
        using var one = Authorized(limited, first.Secret);
        using var two = Authorized(limited, second.Secret);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await one.GetAsync("/api/v1/hosts")).StatusCode);
        }

        var overToken = await one.GetAsync("/api/v1/hosts");
        Assert.Contains("try again", (await ProblemAsync(overToken, HttpStatusCode.TooManyRequests)).Detail);
        Assert.True(overToken.Headers.RetryAfter?.Delta > TimeSpan.Zero);

        // The other token has its own window, but the user's is shared: two more calls fit, the third does not.
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync("/api/v1/hosts")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await two.GetAsync("/api/v1/hosts")).StatusCode);
        await ProblemAsync(await two.GetAsync("/api/v1/hosts"), HttpStatusCode.TooManyRequests);
    }

    private static HttpClient Authorized(WebApplicationFactory<Program> app, string token)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        return client;
    }
}
