using Microsoft.AspNetCore.Diagnostics;

namespace VirtWeb.Api;

/// <summary>What the API's endpoints declare to the pipeline.</summary>
public static class ApiRoutes
{
    /// <summary>Everything under here answers in problem details and takes API tokens.</summary>
    public const string Prefix = "/api";

    public const string V1 = "/api/v1";

    /// <summary>The largest JSON or XML body a v1 endpoint reads; uploads say otherwise with <see cref="StreamedBody"/>.</summary>
    public const long MaxBodyBytes = 1024 * 1024;
}

/// <summary>Marks an endpoint whose body is streamed (an image upload) and not held to <see cref="ApiRoutes.MaxBodyBytes"/>.</summary>
public sealed record StreamedBody;

/// <summary>
/// The API's part of the middleware, after routing: answers are problem details rather than the pages' not-found
/// page, bodies are held to a size, bad input becomes a 400/413/415 that names the problem, and a request signed in
/// with the cookie that changes something must come from VirtWeb's own origin.
/// </summary>
public static class ApiPipeline
{
    public static IApplicationBuilder UseApi(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (!request.Path.StartsWithSegments(ApiRoutes.Prefix))
            {
                await next(context);
                return;
            }

            if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false;
            }

            var refusal = Refusal(context);
            if (refusal is not null)
            {
                await ApiProblems.WriteAsync(context, refusal.Value.Status, refusal.Value.Detail);
                return;
            }

            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                var detail = e.InnerException is { Message: var inner } ? $"{e.Message} {inner}" : e.Message;
                await ApiProblems.WriteAsync(context, e.StatusCode, detail);
                return;
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ApiPipeline))
                    .LogError(e, "The API failed on {Method} {Path}.", request.Method, request.Path);
                await ApiProblems.WriteAsync(context, StatusCodes.Status500InternalServerError,
                    "VirtWeb failed to answer this request; the server's log has the details.");
                return;
            }

            if (context.Response is { StatusCode: >= 400, HasStarted: false, ContentLength: null, ContentType: null })
            {
                await ApiProblems.WriteAsync(context, context.Response.StatusCode, DefaultDetail(context.Response.StatusCode));
            }
        });

    private static (int Status, string Detail)? Refusal(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments(ApiRoutes.V1))
        {
            return null;
        }

        var streamed = context.GetEndpoint()?.Metadata.GetMetadata<StreamedBody>() is not null;
        if (!streamed)
        {
            if (request.ContentLength > ApiRoutes.MaxBodyBytes)
            {
                return (StatusCodes.Status413PayloadTooLarge,
                    $"The body is {request.ContentLength} bytes; this endpoint reads at most {ApiRoutes.MaxBodyBytes} bytes.");
            }

            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = ApiRoutes.MaxBodyBytes;
            }
        }

        // SameSite cookies keep other sites out, but not another port of the same host: a change made with the cookie
        // must name VirtWeb's own origin. A token is sent by the script itself and needs no such check.
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)
            && !Tokens.ApiTokenAuthenticationHandler.HasBearer(request)
            && request.Headers.Origin is [{ } origin, ..] && !OriginCheck.IsSameOrigin(origin, request))
        {
            return (StatusCodes.Status403Forbidden, $"Origin {origin} may not change anything through VirtWeb's API.");
        }

        return null;
    }

    private static string DefaultDetail(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => "Send an API token as 'Authorization: Bearer vwt_...', or sign in.",
        StatusCodes.Status403Forbidden => "You may not do this.",
        StatusCodes.Status404NotFound => "There is no such API endpoint or object; the OpenAPI document at /openapi/v1.json lists the endpoints.",
        StatusCodes.Status405MethodNotAllowed => "This endpoint does not take that method; the OpenAPI document lists what it takes.",
        StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
        _ => ApiProblems.Title(status),
    };
}
