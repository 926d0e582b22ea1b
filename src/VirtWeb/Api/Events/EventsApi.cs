using System.Text.Json;
using Microsoft.Extensions.Options;
using VirtWeb.Api.Tokens;

namespace VirtWeb.Api.Events;

/// <summary>
/// The first message of a stream that cannot resume: what the caller may see now; changes follow. <see cref="Resync"/>
/// is set when the caller sent a Last-Event-ID it cannot resume from, and says why: drop what you had and start over.
/// </summary>
public sealed record ApiEventSnapshot(IReadOnlyList<HostState> Hosts, IReadOnlyList<GuestState> Guests, string? Resync = null);

/// <summary>
/// <c>GET /api/v1/events</c>: server-sent events of host and guest changes, filtered by the caller's rights at each
/// event. A client sends back the last id it saw as Last-Event-ID and resumes where it was, within the feed's window;
/// otherwise (first connection, too long away, or an id from before a restart) it gets a "snapshot" event first,
/// which names the reason in "resync" when it had sent an id.
/// </summary>
public static class EventsApi
{
    public static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static RouteGroupBuilder MapEventsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/events", StreamAsync).WithTags("Events").WithName("StreamEvents").Produces(StatusCodes.Status200OK, contentType: "text/event-stream");
        return api;
    }

    private static async Task StreamAsync(
        HttpContext context, ApiEventFeed feed, LiveStateStore store, AccessControl access, ApiTokenValidator tokens,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
    {
        var user = context.User;
        var aborted = context.RequestAborted;
        var lastId = context.Request.Headers["Last-Event-ID"] is [{ } header, ..] && header.Trim().Length > 0 ? header.Trim() : null;
        var feedSubscription = feed.Subscribe(lastId);
        using var registration = feedSubscription.Registration;

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var writer = new StreamWriter(context.Response.Body) { NewLine = "\n" };
        var options = json.Value.SerializerOptions;
        if (feedSubscription.Missed is { } missed)
        {
            foreach (var change in missed.Where(e => MaySee(access, user, e)))
            {
                await WriteAsync(writer, feed.IdOf(change.Id), change.Type, change, options);
            }
        }
        else
        {
            var snapshot = new ApiEventSnapshot(
                store.Hosts.Current(h => access.MaySeeAnythingUnder(user, h.AccessPath)),
                store.Guests.Current(g => access.Allows(user, g.AccessPath, Permission.View)),
                feedSubscription.Resync);
            await WriteAsync(writer, feed.IdOf(feedSubscription.LastId), "snapshot", snapshot, options);
        }

        await writer.FlushAsync(aborted);
        var tokenId = ApiTokenScope.Of(user)?.TokenId;
        var reader = feedSubscription.Changes;
        try
        {
            while (!aborted.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                wait.CancelAfter(KeepAlive);
                try
                {
                    await reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                {
                    // Quiet for a while: a comment keeps proxies from closing the stream, and the token is checked again.
                    if (tokenId is { } id && !await tokens.IsStillValidAsync(id, aborted))
                    {
                        return;
                    }

                    await writer.WriteAsync(": keep-alive\n\n");
                    await writer.FlushAsync(aborted);
                    continue;
                }

                while (reader.TryRead(out var change))
                {
                    if (MaySee(access, user, change))
                    {
                        await WriteAsync(writer, feed.IdOf(change.Id), change.Type, change, options);
                    }
                }

                await writer.FlushAsync(aborted);
            }
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
        }
    }

    private static bool MaySee(AccessControl access, ClaimsPrincipal user, ApiEvent change) => change.Type == "host"
        ? access.MaySeeAnythingUnder(user, change.AccessPath)
        : access.Allows(user, change.AccessPath, Permission.View);

    private static async Task WriteAsync(StreamWriter writer, string id, string type, object data, JsonSerializerOptions options)
    {
        await writer.WriteAsync($"id: {id}\nevent: {type}\ndata: ");
        await writer.WriteAsync(JsonSerializer.Serialize(data, data.GetType(), options));
        await writer.WriteAsync("\n\n");
    }
}
