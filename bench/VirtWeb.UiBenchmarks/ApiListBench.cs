using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using VirtWeb.Access;
using VirtWeb.Api.Tokens;
using VirtWeb.IntegrationTests.Infrastructure;
using VirtWeb.Live;

namespace VirtWeb.UiBenchmarks;

/// <summary>Requests per second and latency of one call, made by <see cref="ApiListBench"/> from several clients at once.</summary>
public sealed record ThroughputRun(int Requests, int Clients, double PerSecond, double P50, double P99, int GuestsPerCall);

/// <summary>
/// The guest list for tools: <c>GET /api/v1/guests?page=1</c> with an API token (the first page: 100 guests), against
/// the hub's <c>WatchHost</c> (the snapshot a non-Blazor client gets: every guest of the host), over real HTTP on
/// Kestrel with a sign-in cookie. Each client sends its next call when the last one answered.
/// </summary>
public sealed class ApiListBench(KestrelVirtWebFactory app)
{
    public async Task<string> TokenAsync()
    {
        var user = await app.CreateUserAsync(VirtWebFactory.UniqueUserName("apibench"), Roles.Administrator);
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.UserName!)], "Identity.Application"));
        return (await app.Services.GetRequiredService<ApiTokenService>().IssueAsync(principal, new ApiTokenRequest("bench"))).Secret;
    }

    public async Task<ThroughputRun> ApiAsync(string token, int requests, int clients)
    {
        var http = new HttpClient { BaseAddress = app.ServerAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await RunAsync(requests, clients, async _ =>
            {
                using var response = await http.GetAsync("/api/v1/guests?page=1");
                var body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"GET /api/v1/guests?page=1 answered {(int)response.StatusCode}: {System.Text.Encoding.UTF8.GetString(body)}");
                }

                using var page = JsonDocument.Parse(body);
                return page.RootElement.GetProperty("items").GetArrayLength();
            });
        }
        finally
        {
            http.Dispose();
        }
    }

    /// <summary>The bench's Administrator signed in through the sign-in form, as a browser would: the cookie for the hub.</summary>
    public static async Task<CookieContainer> SignInCookiesAsync(Uri server)
    {
        var cookies = new CookieContainer();
        var signIn = new BrowserlessClient(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = server });
        await signIn.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        return cookies;
    }

    /// <summary>A live hub connection with the sign-in cookie, not started (handlers go on first).</summary>
    public static HubConnection HubConnection(Uri server, CookieContainer cookies) =>
        new HubConnectionBuilder().WithUrl(new Uri(server, LiveHub.Path), options => options.Cookies = cookies).Build();

    public async Task<ThroughputRun> HubAsync(Guid hostId, int requests, int clients)
    {
        var cookies = await SignInCookiesAsync(app.ServerAddress);
        var connections = new List<HubConnection>();
        try
        {
            for (var i = 0; i < clients; i++)
            {
                var connection = HubConnection(app.ServerAddress, cookies);
                await connection.StartAsync();
                connections.Add(connection);
            }

            return await RunAsync(requests, clients, async client =>
            {
                // Untyped: the client only counts what arrives, as a script in another language would.
                var snapshot = await connections[client].InvokeAsync<JsonElement>("WatchHost", hostId);
                return snapshot.GetProperty("guests").GetArrayLength();
            });
        }
        finally
        {
            foreach (var connection in connections)
            {
                await connection.DisposeAsync();
            }
        }
    }

    private static async Task<ThroughputRun> RunAsync(int requests, int clients, Func<int, Task<int>> call)
    {
        // Warm-up: JIT, connection pools, the first serialisation of each type.
        for (var client = 0; client < clients; client++)
        {
            await call(client);
        }

        var latencies = new double[requests];
        var next = -1;
        var guests = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                var started = Stopwatch.GetTimestamp();
                Interlocked.Exchange(ref guests, await call(client));
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }));
        var elapsed = clock.Elapsed.TotalSeconds;
        Array.Sort(latencies);
        return new ThroughputRun(requests, clients, requests / elapsed, Rank(latencies, 50), Rank(latencies, 99), guests);
    }

    private static double Rank(double[] sorted, int percentile) => sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
