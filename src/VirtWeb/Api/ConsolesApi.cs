using Microsoft.AspNetCore.Mvc;
using VirtWeb.Consoles;

namespace VirtWeb.Api;

public sealed record ConsoleTicketRequest(string Kind);

/// <summary>A console ticket, as the page asks for one; the websocket itself takes only the sign-in cookie.</summary>
public static class ConsolesApi
{
    public static RouteGroupBuilder MapConsolesApi(this RouteGroupBuilder api)
    {
        api.MapPost("/hosts/{hostId}/guests/{uuid}/console-tickets", IssueAsync).WithTags("Consoles").WithName("IssueConsoleTicket");
        return api;
    }

    private static async Task<ConsoleTicketGrant> IssueAsync(
        ClaimsPrincipal user, ConsoleService consoles, Guid hostId, Guid uuid, [FromBody] ConsoleTicketRequest request, CancellationToken cancellationToken)
    {
        if (!ConsoleKinds.TryParse(request.Kind, out var kind))
        {
            throw new ApiInputException($"Unknown console kind '{request.Kind}': ask for 'graphics' or 'serial'.");
        }

        return await consoles.IssueTicketAsync(user, hostId, uuid, kind, cancellationToken);
    }
}
