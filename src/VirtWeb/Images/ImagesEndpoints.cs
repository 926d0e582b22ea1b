using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;

namespace VirtWeb.Images;

/// <summary>
/// Upload and download as plain HTTP, so a several-GB image streams between the browser and libvirt piece by piece
/// instead of crossing the Blazor circuit. Both need a signed-in user; VolumeTransfers checks the role.
/// </summary>
public static class ImagesEndpoints
{
    public static IEndpointRouteBuilder MapImages(this IEndpointRouteBuilder app)
    {
        var images = app.MapGroup("/api/images").RequireAuthorization();
        images.MapPost("/upload", UploadAsync);
        images.MapGet("/download", DownloadAsync);
        return app;
    }

    private static async Task<IResult> UploadAsync(
        HttpContext context, IAntiforgery antiforgery, VolumeTransfers transfers,
        [FromQuery] Guid host, [FromQuery] string pool, [FromQuery] string name, [FromQuery] string format, [FromQuery] long? capacity)
    {
        try
        {
            await antiforgery.ValidateRequestAsync(context);
        }
        catch (AntiforgeryValidationException)
        {
            return Results.Text("The upload carried no valid antiforgery token; reload the page and try again.", statusCode: StatusCodes.Status400BadRequest);
        }

        try
        {
            return await StreamUploadAsync(context, transfers, host, pool, name, format, capacity);
        }
        catch (AccessDeniedException e)
        {
            return Results.Text(e.Message, statusCode: StatusCodes.Status403Forbidden);
        }
        catch (ImageException e)
        {
            return Results.Text(e.Message, statusCode: StatusOf(e.Failure));
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The browser cancelled; the service already deleted the partial volume and nobody reads a reply.
            return Results.Empty;
        }
    }

    /// <summary>
    /// Streams the request body into a new volume (the page's upload and the API's); refusals are thrown for the
    /// caller to answer in its own form.
    /// </summary>
    internal static async Task<IResult> StreamUploadAsync(
        HttpContext context, VolumeTransfers transfers, Guid host, string pool, string name, string format, long? capacity)
    {
        if (context.Request.ContentLength is not { } length)
        {
            return Results.Text("Send the file with a Content-Length; VirtWeb needs the size before it creates the volume.", statusCode: StatusCodes.Status411LengthRequired);
        }

        // Kestrel's 30 MB default would cut off every disk image; the volume's size is the limit instead.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = length;
        }

        var path = await transfers.UploadAsync(context.User, host, pool, name, format, length, capacity, context.Request.Body, context.RequestAborted);
        return Results.Text(path, statusCode: StatusCodes.Status201Created);
    }

    private static async Task DownloadAsync(HttpContext context, VolumeTransfers transfers, [FromQuery] Guid host, [FromQuery] string path)
    {
        VolumeDownload download;
        try
        {
            download = await transfers.DownloadAsync(context.User, host, path);
        }
        catch (AccessDeniedException e)
        {
            await Results.Text(e.Message, statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
            return;
        }
        catch (ImageException e)
        {
            await Results.Text(e.Message, statusCode: StatusOf(e.Failure)).ExecuteAsync(context);
            return;
        }

        await WriteDownloadAsync(context, download);
    }

    /// <summary>Sends a volume's bytes as the response, once the service allowed the download.</summary>
    internal static async Task WriteDownloadAsync(HttpContext context, VolumeDownload download)
    {
        context.Response.ContentType = "application/octet-stream";
        context.Response.ContentLength = download.Length;
        context.Response.Headers.ContentDisposition = new System.Net.Mime.ContentDisposition { FileName = download.FileName }.ToString();
        try
        {
            await download.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Headers are sent: the only honest signal left is to cut the connection, so the browser reports a failure
            // instead of a truncated file.
            context.Abort();
        }
    }

    internal static int StatusOf(ImageFailure failure) => failure switch
    {
        ImageFailure.Conflict => StatusCodes.Status409Conflict,
        ImageFailure.TooLarge => StatusCodes.Status413PayloadTooLarge,
        ImageFailure.NotFound => StatusCodes.Status404NotFound,
        ImageFailure.Forbidden => StatusCodes.Status403Forbidden,
        _ => StatusCodes.Status400BadRequest,
    };
}
