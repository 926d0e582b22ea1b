using Microsoft.AspNetCore.WebUtilities;
using VirtWeb.Api.Tokens;
using VirtWeb.Consoles;
using VirtWeb.Images;

namespace VirtWeb.Api;

/// <summary>RFC 9457 problem details for every answer of <c>/api</c> that is not a success.</summary>
public static class ApiProblems
{
    public static IResult Result(int status, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: Title(status), extensions: extensions);

    public static Task WriteAsync(HttpContext context, int status, string detail) =>
        Result(status, detail).ExecuteAsync(context);

    /// <summary>The status and message a service's refusal stands for; null for an exception nobody foresaw.</summary>
    public static IResult? FromException(Exception exception, int guestFailureStatus) => exception switch
    {
        AccessDeniedException { DatabaseUnreachable: true } e => Result(StatusCodes.Status503ServiceUnavailable, e.Message),
        AccessDeniedException e => Result(StatusCodes.Status403Forbidden, e.Message),
        GuestActionException { InnerException: LibvirtException { Code: LibvirtErrorCode.NoDomain } } e => Result(StatusCodes.Status404NotFound, e.Message),
        GuestActionException { InnerException: HostUnavailableException } e => Result(StatusCodes.Status409Conflict, e.Message),
        GuestActionException { Outcome: AuditOutcome.Denied } e => Result(StatusCodes.Status403Forbidden, e.Message),
        GuestActionException e => Result(guestFailureStatus, e.Message),
        HostUnavailableException e => Result(StatusCodes.Status409Conflict, e.Message),
        ImageException e => Result(ImagesEndpoints.StatusOf(e.Failure), e.Message),
        InvalidHostException e => Result(StatusCodes.Status422UnprocessableEntity, e.Message, new Dictionary<string, object?> { ["errors"] = e.Errors }),
        InvalidGrantException e => Result(StatusCodes.Status422UnprocessableEntity, e.Message),
        ApiTokenException e => Result(StatusCodes.Status422UnprocessableEntity, e.Message),
        ApiTokenNotFoundException e => Result(StatusCodes.Status404NotFound, e.Message),
        ConsoleUnavailableException e => Result(StatusCodes.Status409Conflict, e.Message),
        ApiInputException e => Result(e.Status, e.Message),
        Networks.NetworkException e => Result(e.Failure switch
        {
            Networks.NetworkFailure.NotFound => StatusCodes.Status404NotFound,
            Networks.NetworkFailure.Conflict => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status422UnprocessableEntity,
        }, e.Message),
        _ => null,
    };

    public static string Title(int status) => status switch
    {
        400 => "The request is malformed",
        401 => "Sign-in or a valid API token is needed",
        403 => "Not allowed",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflicts with the current state",
        413 => "The request body is too large",
        415 => "Unsupported content type",
        422 => "The request cannot be carried out as asked",
        429 => "Too many requests",
        _ => ReasonPhrases.GetReasonPhrase(status),
    };
}

/// <summary>Bad input the API itself refuses before any service is asked (an unknown action name, a missing body).</summary>
public sealed class ApiInputException(string message, int status = StatusCodes.Status400BadRequest) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>How an endpoint answers a <see cref="GuestActionException"/>: 409 (state) unless it says 422 (input).</summary>
public sealed record GuestFailureStatus(int Status);
