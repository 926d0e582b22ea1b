using Microsoft.AspNetCore.Mvc;

namespace VirtWeb.Consoles;

/// <summary>The page asks for a ticket over plain HTTP, then opens the websocket with it.</summary>
public static class ConsoleEndpoints
{
    public sealed record TicketRequest(Guid HostId, Guid Uuid, string Kind);

    public static IEndpointRouteBuilder MapConsoles(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/consoles/tickets", IssueAsync).RequireAuthorization();

        // Anonymous at the routing level so that every refusal is the proxy's own 403 (a redirect to the sign-in page
        // would mean nothing to a websocket); the proxy checks the user itself.
        // The websocket middleware runs for this endpoint alone (as SignalR does for its hubs), so nothing else in the
        // app changes behaviour.
        var pipeline = app.CreateApplicationBuilder().UseWebSockets();
        pipeline.Run(OpenAsync);
        app.Map(ConsoleService.WebSocketPrefix + "/{kind}/{hostId:guid}/{uuid:guid}", pipeline.Build()).AllowAnonymous();
        return app;
    }

    private static async Task<IResult> IssueAsync(HttpContext context, ConsoleService consoles, [FromBody] TicketRequest request)
    {
        // Same-site cookies already keep other sites from asking; a foreign Origin is refused outright as well.
        if (context.Request.Headers.Origin is [{ } origin, ..] && !OriginCheck.IsSameOrigin(origin, context.Request))
        {
            return Results.Text($"Origin {origin} may not ask for console tickets.", statusCode: StatusCodes.Status403Forbidden);
        }
        if (!ConsoleKinds.TryParse(request.Kind, out var kind))
        {
            return Results.Text($"Unknown console kind '{request.Kind}': ask for 'graphics' or 'serial'.", statusCode: StatusCodes.Status400BadRequest);
        }
        try
        {
            return Results.Json(await consoles.IssueTicketAsync(context.User, request.HostId, request.Uuid, kind, context.RequestAborted));
        }
        catch (AccessDeniedException e)
        {
            return Results.Text(e.Message, statusCode: StatusCodes.Status403Forbidden);
        }
        catch (ConsoleUnavailableException e)
        {
            return Results.Text(e.Message, statusCode: StatusCodes.Status409Conflict);
        }
    }

    private static Task OpenAsync(HttpContext context)
    {
        if (!ConsoleKinds.TryParse(context.GetRouteValue("kind") as string, out var kind)
            || !Guid.TryParse(context.GetRouteValue("hostId") as string, out var hostId)
            || !Guid.TryParse(context.GetRouteValue("uuid") as string, out var uuid))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }
        return context.RequestServices.GetRequiredService<ConsoleProxy>().HandleAsync(context, kind, hostId, uuid);
    }
}
