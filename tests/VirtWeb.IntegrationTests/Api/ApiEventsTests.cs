using System.Text.Json;

namespace VirtWeb.IntegrationTests.Api;

/// <summary><c>/api/v1/events</c> as a script reads it: a snapshot, then changes as they happen, resumable with Last-Event-ID.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiEventsTests(VirtWebFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task Events_SeeGuestStart_ResumeAfterDropWithoutMissingAChange()
    {
        var hostId = await AddPrivateHostAsync();
        var user = await UserAsync("apievents", Roles.Operator);
        var token = (await IssueAsync(user)).Secret;
        using var actions = Client(token);
        using var timeout = new CancellationTokenSource(Deadline);

        long lastId;
        await using (var stream = await SseStream.OpenAsync(Client(token), null, timeout.Token))
        {
            var snapshot = await stream.NextAsync(timeout.Token);
            Assert.Equal("snapshot", snapshot.Type);
            Assert.Contains(Db.ToString(), snapshot.Data);

            Assert.Equal(HttpStatusCode.OK, (await actions.PostAsync($"{GuestPath(hostId, Db)}/actions/start", null)).StatusCode);
            var started = await stream.UntilAsync(e => IsGuestIn(e, Db, "Running"), timeout.Token);
            lastId = started.Id;
        }

        // While nobody listens, the guest stops and pauses elsewhere; the resumed stream must replay both, in order.
        Assert.Equal(HttpStatusCode.OK, (await actions.PostAsync($"{GuestPath(hostId, Web)}/actions/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await actions.PostAsync($"{GuestPath(hostId, Db)}/actions/force-off", null)).StatusCode);
        await Eventually.ValueAsync(() => Store.Guests.Find(GuestState.KeyOf(hostId, Db)), g => g.State == DomainState.Shutoff, Deadline, "db shut off in the store");

        await using (var resumed = await SseStream.OpenAsync(Client(token), lastId, timeout.Token))
        {
            var paused = await resumed.UntilAsync(e => IsGuestIn(e, Web, "Paused"), timeout.Token);
            var stopped = await resumed.UntilAsync(e => IsGuestIn(e, Db, "Shutoff"), timeout.Token);
            Assert.True(paused.Id > lastId && stopped.Id > paused.Id);
            Assert.DoesNotContain(resumed.Seen, e => e.Type == "snapshot");
        }
    }

    [Fact]
    public async Task Events_OnlyWhatTheCallerMaySee()
    {
        var hostA = await AddPrivateHostAsync();
        var hostB = await AddPrivateHostAsync();
        var user = await UserAsync("apieventsnarrow", Roles.Administrator);
        var narrow = (await IssueAsync(user, AccessRole.Viewer, AccessPaths.Host(hostA))).Secret;
        using var admin = await ClientAsync(user);
        using var timeout = new CancellationTokenSource(Deadline);
        await using var stream = await SseStream.OpenAsync(Client(narrow), null, timeout.Token);

        var snapshot = await stream.NextAsync(timeout.Token);
        Assert.DoesNotContain(hostB.ToString(), snapshot.Data);
        await admin.PostAsync($"{GuestPath(hostB, Db)}/actions/start", null);
        await admin.PostAsync($"{GuestPath(hostA, Db)}/actions/start", null);
        await stream.UntilAsync(e => IsGuestIn(e, Db, "Running") && e.Data.Contains(hostA.ToString()), timeout.Token);

        Assert.DoesNotContain(stream.Seen, e => e.Data.Contains(hostB.ToString()));
    }

    private static bool IsGuestIn(SseEvent e, Guid uuid, string state)
    {
        if (e.Type != "guest")
        {
            return false;
        }

        using var data = JsonDocument.Parse(e.Data);
        return data.RootElement.GetProperty("item") is { ValueKind: JsonValueKind.Object } item
            && item.GetProperty("uuid").GetGuid() == uuid && item.GetProperty("state").GetString() == state;
    }

    private sealed record SseEvent(long Id, string Type, string Data);

    /// <summary>Reads server-sent events off a response stream, one at a time.</summary>
    private sealed class SseStream(HttpClient client, HttpResponseMessage response, StreamReader reader) : IAsyncDisposable
    {
        public List<SseEvent> Seen { get; } = [];

        public static async Task<SseStream> OpenAsync(HttpClient client, long? lastEventId, CancellationToken cancellationToken)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
            if (lastEventId is { } id)
            {
                request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new SseStream(client, response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)));
        }

        public async Task<SseEvent> NextAsync(CancellationToken cancellationToken)
        {
            long id = 0;
            string type = "message", data = "";
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0 && data.Length > 0)
                {
                    var next = new SseEvent(id, type, data);
                    Seen.Add(next);
                    return next;
                }

                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data += line[6..];
                }
            }

            throw new InvalidOperationException("The event stream ended.");
        }

        public async Task<SseEvent> UntilAsync(Func<SseEvent, bool> match, CancellationToken cancellationToken)
        {
            while (true)
            {
                var next = await NextAsync(cancellationToken);
                if (match(next))
                {
                    return next;
                }
            }
        }

        public ValueTask DisposeAsync()
        {
            reader.Dispose();
            response.Dispose();
            client.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
