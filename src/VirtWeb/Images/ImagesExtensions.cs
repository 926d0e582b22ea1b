namespace VirtWeb.Images;

public static class ImagesExtensions
{
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        return builder;
    }
}
