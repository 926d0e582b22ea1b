using VirtWeb.Account;
using VirtWeb.Api;
using VirtWeb.Components;
using VirtWeb.Consoles;
using VirtWeb.Images;
using VirtWeb.MachineIds;
using VirtWeb.Snapshots;
using VirtWeb.Networks;
using VirtWeb.Usage;
using VirtWeb.Degraded;
using VirtWeb.Cluster;
using VirtWeb.Templates;

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.AddVirtWebData();
    builder.AddAccess();
    builder.AddLive();
    builder.AddHosts();
    builder.AddGuests();
    builder.AddImages();
    builder.AddNetworks();
    builder.AddConsoles();
    builder.AddMachineIds();
    builder.AddSnapshots();
    builder.AddApi();
    builder.AddUsage();
    builder.AddDegraded();
    builder.AddCluster();
    builder.AddTemplates();
    builder.AddVirtWebComponents();

    var app = builder.Build();
    await app.PrepareDatabaseAsync();

    // The middleware, in the order a request meets it. Security headers first, so that redirects to sign-in and
    // error pages carry them too.
    app.UseSecurityHeaders();
    app.UseOutagePage();
    if (!app.Environment.IsDevelopment())
    {
        app.UseExceptionHandler("/Error", createScopeForErrors: true);
    }

    app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
    app.UseOriginCheck();
    app.UseRouting();
    app.UseApi();
    app.UseAuthentication();
    app.UseAuthorization();
    app.UseRateLimiter();
    app.UsePasswordChangeRequirement();
    app.UseAntiforgery();

    // The endpoints. The sign-in page needs its styles before anyone is signed in.
    app.MapStaticAssets().AllowAnonymous();
    app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).AllowAnonymous();
    app.MapHealthChecks("/readyz", new() { Predicate = check => check.Tags.Contains(DatabaseReadyHealthCheck.ReadyTag) }).AllowAnonymous();
    app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
    app.MapIdentityEndpoints();
    app.MapLive();
    app.MapImages();
    app.MapConsoles();
    app.MapApi();
    app.MapUsage();

    await app.RunAsync();
    return 0;
}
catch (StartupValidationException e)
{
    Console.Error.WriteLine($"VirtWeb cannot start: {e.Message}");
    return 2;
}

public partial class Program;
