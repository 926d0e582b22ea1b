namespace VirtWeb.Access;

/// <summary>
/// Websockets are not covered by the same-origin policy or SameSite cookies in every browser, so a page on another
/// site could open this one's circuit or live hub with the user's cookie. Requests to those endpoints that name a
/// foreign Origin are refused with 403.
/// </summary>
public static class OriginCheck
{
    public static readonly string[] GuardedPaths = ["/_blazor", "/hubs"];

    public static IApplicationBuilder UseOriginCheck(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            var path = context.Request.Path;
            if (GuardedPaths.Any(guarded => path.StartsWithSegments(guarded))
                && context.Request.Headers.Origin is [{ } origin, ..]
                && !IsSameOrigin(origin, context.Request))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return context.Response.WriteAsync($"Origin {origin} may not open this endpoint.");
            }

            return next(context);
        });

    public static bool IsSameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var parsed)
        && string.Equals(parsed.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(parsed.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
