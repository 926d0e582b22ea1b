using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;

namespace VirtWeb.Api;

/// <summary>How many API calls a minute each token and each user may make (<c>Api:RateLimit</c>).</summary>
public sealed class ApiRateLimitOptions
{
    public const string SectionName = "Api:RateLimit";

    public int PerTokenPerMinute { get; set; } = 600;

    public int PerUserPerMinute { get; set; } = 1200;
}

/// <summary>
/// ASP.NET Core's rate limiter on <c>/api/v1</c>: one window per token and one per user (all their tokens and their
/// signed-in calls together); over either, 429 with Retry-After in problem details. Pages are not limited here.
/// </summary>
public static class ApiRateLimits
{
    public static IServiceCollection AddApiRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(ApiRateLimitOptions.SectionName).Get<ApiRateLimitOptions>() ?? new ApiRateLimitOptions();
        return services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                Partitioned(context => ApiTokenScope.Of(context.User)?.TokenId.ToString(), limits.PerTokenPerMinute),
                Partitioned(context => context.User.FindFirstValue(ClaimTypes.NameIdentifier), limits.PerUserPerMinute));
            options.OnRejected = async (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
                context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ApiProblems.WriteAsync(context.HttpContext, StatusCodes.Status429TooManyRequests,
                    $"Too many API calls; try again in {seconds} s. Each token may make {limits.PerTokenPerMinute} and each user {limits.PerUserPerMinute} a minute.");
            };
        });
    }

    private static PartitionedRateLimiter<HttpContext> Partitioned(Func<HttpContext, string?> keyOf, int perMinute) =>
        PartitionedRateLimiter.Create<HttpContext, string>(context =>
            context.Request.Path.StartsWithSegments(ApiRoutes.V1) && keyOf(context) is { } key
                ? RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = Math.Max(1, perMinute),
                    Window = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                })
                : RateLimitPartition.GetNoLimiter(""));
}
