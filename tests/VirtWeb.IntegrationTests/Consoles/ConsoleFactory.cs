using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using VirtWeb.Consoles;

namespace VirtWeb.IntegrationTests.Consoles;

/// <summary>A clock the test moves by hand; only the ticket store reads it, so the rest of the app keeps real time.</summary>
public sealed class ManualClock : TimeProvider
{
    private DateTimeOffset _now = DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// The app with the console ticket store on <see cref="Clock"/> and a one-second access re-check, so revocation tests
/// wait seconds rather than the production interval.
/// </summary>
public sealed class ConsoleFactory : VirtWebFactory
{
    public ManualClock Clock { get; } = new();

    /// <summary>Everything the app logged, to check that bad input produced messages and not exceptions.</summary>
    public CapturedLogs Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Consoles:RecheckInterval", "00:00:01");
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton(sp => new ConsoleTickets(Clock, sp.GetRequiredService<IOptions<ConsoleOptions>>(), new MemoryConsoleTicketStore(Clock)));
            services.AddSingleton<ILoggerProvider>(Logs);
        });
    }
}

/// <summary>A signed-in browser without a browser: HTTP with cookies, plus websockets that carry the same cookies.</summary>
public sealed class ConsoleClient
{
    private readonly CookieContainerHandler _cookies = new();
    private readonly VirtWebFactory _factory;

    private ConsoleClient(VirtWebFactory factory)
    {
        _factory = factory;
        Browser = new BrowserlessClient(factory.CreateDefaultClient(_cookies));
    }

    public BrowserlessClient Browser { get; }

    public string Origin => Browser.Http.BaseAddress!.GetLeftPart(UriPartial.Authority);

    public static async Task<ConsoleClient> SignInAsync(VirtWebFactory factory, string userName, string password = VirtWebFactory.UserPassword)
    {
        var client = new ConsoleClient(factory);
        var response = await client.Browser.SignInAsync(userName, password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return client;
    }

    public async Task<HttpResponseMessage> RequestTicketAsync(Guid hostId, Guid uuid, string kind = "graphics")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/consoles/tickets") { Content = JsonContent.Create(new { hostId, uuid, kind }) };
        request.Headers.Add("Origin", Origin);
        return await Browser.Http.SendAsync(request);
    }

    public async Task<ConsoleTicketGrant> TicketAsync(Guid hostId, Guid uuid, string kind = "graphics")
    {
        using var response = await RequestTicketAsync(hostId, uuid, kind);
        Assert.True(response.IsSuccessStatusCode, $"ticket refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<ConsoleTicketGrant>())!;
    }

    /// <summary>Opens the console websocket; a refused upgrade throws with the status code in the message.</summary>
    public async Task<WebSocket> ConnectAsync(string pathAndQuery, string? origin = null)
    {
        var client = _factory.Server.CreateWebSocketClient();
        client.SubProtocols.Add("binary");
        var address = new Uri(_factory.Server.BaseAddress, pathAndQuery);
        client.ConfigureRequest = request =>
        {
            request.Headers.Origin = origin ?? Origin;
            request.Headers.Cookie = _cookies.Container.GetCookieHeader(address);
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await client.ConnectAsync(new UriBuilder(address) { Scheme = "ws" }.Uri, timeout.Token);
    }

    /// <summary>The status of a refused upgrade; fails the test if the upgrade succeeded.</summary>
    public async Task<int> RefusedStatusAsync(string pathAndQuery, string? origin = null)
    {
        try
        {
            using var socket = await ConnectAsync(pathAndQuery, origin);
            Assert.Fail($"the websocket opened (101) for {pathAndQuery}");
            return 101;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("status code", StringComparison.OrdinalIgnoreCase))
        {
            return int.Parse(e.Message[(e.Message.LastIndexOf(' ') + 1)..].TrimEnd('.'), System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>The app's log entries, kept in memory: level, category, message and exception.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly List<(LogLevel Level, string Category, string Message, Exception? Exception)> _entries = [];

    public int Count
    {
        get
        {
            lock (_entries)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Entries from <paramref name="start"/> on that carry an exception or are errors.</summary>
    public IReadOnlyList<string> FailuresSince(int start)
    {
        lock (_entries)
        {
            return [.. _entries.Skip(start).Where(e => e.Exception is not null || e.Level >= LogLevel.Error).Select(e => $"{e.Level} {e.Category}: {e.Message} {e.Exception}")];
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._entries)
            {
                owner._entries.Add((logLevel, category, formatter(state, exception), exception));
            }
        }
    }
}
