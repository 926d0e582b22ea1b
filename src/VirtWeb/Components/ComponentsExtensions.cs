using MudBlazor.Services;
using VirtWeb.Access;
using VirtWeb.Account;
using VirtWeb.Data;
using VirtWeb.Images;

namespace VirtWeb.Components;

public static class ComponentsExtensions
{
    public static IHostApplicationBuilder AddVirtWebComponents(this IHostApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    public static WebApplication MapVirtWeb(this WebApplication app)
    {
        // First, so that redirects to sign-in and error pages carry the headers too.
        app.UseSecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }

        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseOriginCheck();
        app.UseRouting();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UsePasswordChangeRequirement();
        app.UseAntiforgery();

        // The sign-in page needs its styles before anyone is signed in.
        app.MapStaticAssets().AllowAnonymous();
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).AllowAnonymous();
        app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains(DatabaseReadyHealthCheck.ReadyTag) }).AllowAnonymous();

        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        app.MapIdentityEndpoints();
        Guests.GuestsExtensions.MapGuests(app);
        app.MapImages();
        Consoles.ConsoleEndpoints.MapConsoles(app);
        return app;
    }
}
