using System.Text;

namespace VirtWeb.Api;

/// <summary>Bodies the API reads itself (XML), with the same limits and refusals as its JSON bodies.</summary>
internal static class ApiBodies
{
    public static async Task<string> ReadTextAsync(HttpRequest request, string[] mediaTypes, CancellationToken cancellationToken)
    {
        var type = request.ContentType?.Split(';')[0].Trim();
        if (type is null || !mediaTypes.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            throw new ApiInputException($"Send the body as {string.Join(" or ", mediaTypes)}; this one is {type ?? "without a Content-Type"}.",
                StatusCodes.Status415UnsupportedMediaType);
        }

        // Without Kestrel's limit (a test server, chunked bodies) the size is counted here.
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var buffer = new char[8192];
        var text = new StringBuilder();
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellationToken)) > 0)
        {
            text.Append(buffer, 0, read);
            if (text.Length > ApiRoutes.MaxBodyBytes)
            {
                throw new ApiInputException($"The body is larger than {ApiRoutes.MaxBodyBytes} bytes.", StatusCodes.Status413PayloadTooLarge);
            }
        }

        return text.ToString();
    }
}
