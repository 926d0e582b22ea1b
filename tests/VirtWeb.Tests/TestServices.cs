using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor;
using Microsoft.EntityFrameworkCore;
using MudBlazor.Services;
using VirtWeb.Data;
using VirtWeb.Hosts;
using VirtWeb.Live;

namespace VirtWeb.Tests;

/// <summary>The one setup every component test shares.</summary>
public static class TestServices
{
    public static BunitContext AddTestServices(this BunitContext context)
    {
        context.Services.AddMudServices(options => options.PopoverOptions.CheckForPopoverProvider = false);
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddSingleton<LiveStateStore>();
        // Pages take their services from DI; component tests never reach the database, so nothing listens here.
        context.Services.AddDbContextFactory<VirtWebDbContext>(options => options.UseNpgsql("Host=127.0.0.1;Port=1;Database=unused"));
        context.Services.AddSingleton<IHostSupervisors, NoSupervisors>();
        context.Services.AddSingleton<IConnectionProbe, ConnectionProbe>();
        context.Services.AddScoped<HostService>();
        context.Services.AddSingleton<VirtWeb.Access.AuditLog>();
        // Holds no grants until one is loaded: every signed-in user's role applies everywhere.
        context.Services.AddSingleton<VirtWeb.Access.AccessControl>();
        context.Services.AddSingleton<VirtWeb.Access.GrantDirectory>();
        context.Services.AddSingleton(Microsoft.Extensions.Options.Options.Create(new VirtWeb.Images.PoolRootsOptions()));
        context.Services.AddSingleton<VirtWeb.Images.StorageRoots>();
        context.Services.AddSingleton<VirtWeb.Guests.DefinitionPolicy>();
        context.Services.AddSingleton<VirtWeb.Images.StorageWatcher>();
        context.Services.AddSingleton<VirtWeb.Images.ImageService>();
        context.Services.TryAddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
        context.Services.AddSingleton<VirtWeb.Guests.GuestTimeline>();
        context.Services.AddSingleton<VirtWeb.Guests.GuestWatcher>();
        context.Services.AddSingleton<VirtWeb.Guests.GuestService>();
        context.Services.AddSingleton<VirtWeb.Guests.GuestAddressPoller>();
        context.Services.AddSingleton<VirtWeb.MachineIds.MachineIdRegistry>();
        context.Services.AddSingleton<VirtWeb.MachineIds.MachineIdService>();
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        return context;
    }

    public static BunitAuthorizationContext SignInAs(this BunitContext context, string userName, params string[] roles)
    {
        var authorization = context.AddAuthorization();
        authorization.SetAuthorized(userName);
        authorization.SetRoles(roles);
        authorization.SetClaims([.. roles.Select(r => new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, r))]);
        return authorization;
    }
}

/// <summary>Component tests feed the live store directly; no supervisor runs.</summary>
internal sealed class NoSupervisors : IHostSupervisors
{
    public Task ApplyAsync(HostRecord host) => Task.CompletedTask;

    public Task StopAsync(Guid hostId) => Task.CompletedTask;

    public VirtWeb.Libvirt.LibvirtConnection GetConnection(Guid hostId) =>
        throw new HostUnavailableException("Component tests have no libvirt connection.");
}
