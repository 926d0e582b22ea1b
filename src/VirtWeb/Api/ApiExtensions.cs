using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using VirtWeb.Api.Events;
using VirtWeb.Api.Tokens;

namespace VirtWeb.Api;

/// <summary>
/// <c>/api/v1</c>: the pages' services as JSON, for scripts and tools, with API tokens. Each area adds its routes
/// with a <c>MapXxxApi(this RouteGroupBuilder)</c> of its own, called from <see cref="MapApi"/>.
/// </summary>
public static class ApiExtensions
{
    public const string Policy = "virtweb:api";

    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddApiServices();
        services.AddHostedService(provider => provider.GetRequiredService<ApiEventFeed>());
        services.AddApiDocuments();
        services.AddApiRateLimits(builder.Configuration);
        services.AddProblemDetails();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(ApiTokenAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(ApiTokenAuthenticationHandler.ApiSchemeName, null, options => options.ForwardDefaultSelector = context =>
                context.Request.Path.StartsWithSegments(ApiRoutes.Prefix) && ApiTokenAuthenticationHandler.HasBearer(context.Request)
                    ? ApiTokenAuthenticationHandler.SchemeName
                    : IdentityConstants.ApplicationScheme);
        // The default scheme becomes that choice, so that what no endpoint answers under /api (a 404, a 415) sees the token
        // as well; everywhere else it is the sign-in cookie, as AddAccess set it, and a token is never read there.
        services.Configure<AuthenticationOptions>(options => options.DefaultScheme = ApiTokenAuthenticationHandler.ApiSchemeName);
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(ApiTokenAuthenticationHandler.ApiSchemeName)
            .RequireAuthenticatedUser());

        // A script signed in with the cookie gets 401/403, not the sign-in page.
        services.ConfigureApplicationCookie(options =>
        {
            var toLogin = options.Events.OnRedirectToLogin;
            var toDenied = options.Events.OnRedirectToAccessDenied;
            options.Events.OnRedirectToLogin = context => ForApi(context, StatusCodes.Status401Unauthorized, toLogin);
            options.Events.OnRedirectToAccessDenied = context => ForApi(context, StatusCodes.Status403Forbidden, toDenied);
        });

        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter(allowIntegerValues: false));
            // A misspelt field would otherwise be dropped without a word, and the call do something else than asked.
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            // "vcpus": "2" is a wrong type, not a number; and the document then says plainly "integer".
            options.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
        });
        // Bad bodies and parameters throw, so that ApiPipeline can say what was wrong instead of an empty 400.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return builder;
    }

    /// <summary>The token services, without authentication: for tests and the token page.</summary>
    public static IServiceCollection AddApiServices(this IServiceCollection services)
    {
        services.AddSingleton<InstallationIdentity>();
        services.AddSingleton<ApiTokenValidator>();
        services.AddSingleton<ApiTokenService>();
        services.AddSingleton<ApiEventFeed>();
        return services;
    }

    public static IEndpointRouteBuilder MapApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup(ApiRoutes.V1)
            .RequireAuthorization(Policy)
            .AddEndpointFilter<ApiErrorFilter>();
        v1.MapHostsApi();
        v1.MapGuestsApi();
        v1.MapImagesApi();
        v1.MapMachineIdsApi();
        v1.MapConsolesApi();
        v1.MapAccessApi();
        v1.MapTokensApi();
        v1.MapEventsApi();
        v1.MapSnapshotsApi();
        v1.MapNetworksApi();
        v1.MapNicsApi();
        app.MapApiDocuments();

        // Anything else under /api is answered by ApiPipeline: a 404 (or 405, 415) in problem details, not the pages' not-found page.
        return app;
    }

    private static Task ForApi<TOptions>(Microsoft.AspNetCore.Authentication.RedirectContext<TOptions> context, int status, Func<Microsoft.AspNetCore.Authentication.RedirectContext<TOptions>, Task> otherwise)
        where TOptions : AuthenticationSchemeOptions
    {
        if (!context.Request.Path.StartsWithSegments(ApiRoutes.Prefix))
        {
            return otherwise(context);
        }

        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}

/// <summary>Turns the services' refusals into problem details with the status they mean.</summary>
internal sealed class ApiErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var guestFailure = context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<GuestFailureStatus>()?.Status ?? StatusCodes.Status409Conflict;
            return ApiProblems.FromException(e, guestFailure) ?? throw e.Rethrow();
        }
    }
}

internal static class ExceptionExtensions
{
    /// <summary>Rethrows with the original stack trace.</summary>
    public static Exception Rethrow(this Exception e)
    {
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
        return e;
    }
}
