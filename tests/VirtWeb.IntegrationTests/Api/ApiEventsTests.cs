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

        string lastId;
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
            Assert.True(paused.Number > Number(lastId) && stopped.Number > paused.Number);
            Assert.All(resumed.Seen, e => Assert.StartsWith(lastId[..lastId.LastIndexOf('-')], e.Id, StringComparison.Ordinal));
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

    [Fact]
    public async Task Events_LastEventIdFromBeforeARestartOrElsewhere_ResyncSnapshotNamingWhy()
    {
        await AddPrivateHostAsync();
        var user = await UserAsync("apieventsepoch", Roles.Viewer);
        var token = (await IssueAsync(user)).Secret;
        using var timeout = new CancellationTokenSource(Deadline);
        string current;
        await using (var fresh = await SseStream.OpenAsync(Client(token), null, timeout.Token))
        {
            var first = await fresh.NextAsync(timeout.Token);
            Assert.Equal("snapshot", first.Type);
            Assert.Equal(JsonValueKind.Null, Resync(first).ValueKind);
            current = first.Id;
        }

        // Another epoch (what this app's ids looked like before a restart, or another installation's), the old bare
        // number, and a number this run never reached: each gets a snapshot that says to start over, never a gap.
        var epoch = current[..current.LastIndexOf('-')];
        var other = epoch == "0123456789abcdef" ? "fedcba9876543210" : "0123456789abcdef";
        foreach (var stale in new[] { $"{other}-{Number(current)}", Number(current).ToString(System.Globalization.CultureInfo.InvariantCulture), $"{epoch}-{Number(current) + 1_000_000}" })
        {
            await using var resumed = await SseStream.OpenAsync(Client(token), stale, timeout.Token);
            var first = await resumed.NextAsync(timeout.Token);
            Assert.Equal("snapshot", first.Type);
            Assert.Contains("not from this run of VirtWeb", Resync(first).GetString());
            Assert.StartsWith(epoch + "-", first.Id, StringComparison.Ordinal);
        }
    }

    private static JsonElement Resync(SseEvent snapshot) => JsonDocument.Parse(snapshot.Data).RootElement.GetProperty("resync").Clone();

    private static long Number(string id) => long.Parse(id[(id.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    private sealed record SseEvent(string Id, string Type, string Data)
    {
        public long Number => ApiEventsTests.Number(Id);
    }

    /// <summary>Reads server-sent events off a response stream, one at a time.</summary>
    private sealed class SseStream(HttpClient client, HttpResponseMessage response, StreamReader reader) : IAsyncDisposable
    {
        public List<SseEvent> Seen { get; } = [];

        public static async Task<SseStream> OpenAsync(HttpClient client, string? lastEventId, CancellationToken cancellationToken)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
            if (lastEventId is { } id)
            {
                request.Headers.Add("Last-Event-ID", id);
            }

            var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
            return new SseStream(client, response, new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken)));
        }

        public async Task<SseEvent> NextAsync(CancellationToken cancellationToken)
        {
            string id = "", type = "message", data = "";
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
                    id = line[4..];
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
