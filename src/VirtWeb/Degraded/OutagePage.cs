using System.Diagnostics;
using System.Net;

namespace VirtWeb.Degraded;

/// <summary>
/// The last word on a request that failed: outside the exception handler, so that when VirtWeb's own error page cannot
/// render either (it needs the layout, the layout the database) the browser still gets VirtWeb's page, never a bare 500.
/// A request that met an unreachable database answers 503 with what happened and what to do; any other failure that
/// the exception handler could not answer gets the generic page. Both name the request id the log line carries.
/// Development keeps the developer exception page for every failure but the database outage.
/// </summary>
public static class OutagePage
{
    public static IApplicationBuilder UseOutagePage(this IApplicationBuilder app)
    {
        var health = app.ApplicationServices.GetRequiredService<DatabaseHealth>();
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OutagePage));
        var development = app.ApplicationServices.GetRequiredService<IWebHostEnvironment>().IsDevelopment();
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested
                                      && (DatabaseHealth.IsUnreachable(e) || !development))
            {
                var requestId = Activity.Current?.Id ?? context.TraceIdentifier;
                var database = DatabaseHealth.IsUnreachable(e);
                if (database)
                {
                    health.ReportFailure(e);
                }

                logger.LogError(e, "Request {RequestId} {Method} {Path} failed{Why}.", requestId, context.Request.Method, context.Request.Path,
                    database ? " because PostgreSQL cannot be reached" : "");
                context.Response.Clear();
                context.Response.StatusCode = database ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError;
                if (database)
                {
                    context.Response.Headers.RetryAfter = "5";
                }

                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.WriteAsync(Html(database, requestId), CancellationToken.None);
            }
        });
    }

    /// <summary>A page that needs nothing: no layout, no database, no script; styles inline so it renders alone.</summary>
    internal static string Html(bool database, string requestId)
    {
        var (title, what, todo) = database
            ? ("VirtWeb cannot reach its database",
               "PostgreSQL did not answer, so VirtWeb could not check your account or load this page.",
               "Pages you already have open stay live from libvirt. Reload this page in a few seconds; if it stays, ask whoever runs " +
               "VirtWeb to start PostgreSQL (or check the connection setting ConnectionStrings:VirtWeb). VirtWeb recovers by itself, without a restart.")
            : ("Something went wrong while handling your request",
               "VirtWeb met an error it did not expect and could not show this page.",
               "Go back and try again. If it happens again, give whoever runs VirtWeb the request id below: the server log has the details under it.");
        return $$"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{{WebUtility.HtmlEncode(title)}} · VirtWeb</title>
            <style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:4rem auto;padding:0 1rem;color:#222}
            h1{font-size:1.4rem}code{background:#eee;padding:.1rem .3rem}a{color:#1565c0}</style></head>
            <body><h1 data-testid="outage-title">{{WebUtility.HtmlEncode(title)}}</h1>
            <p>{{WebUtility.HtmlEncode(what)}}</p><p>{{WebUtility.HtmlEncode(todo)}}</p>
            <p>Request id: <code data-testid="request-id">{{WebUtility.HtmlEncode(requestId)}}</code></p>
            <p><a href="/">Back to VirtWeb</a></p></body></html>
            """;
    }
}
