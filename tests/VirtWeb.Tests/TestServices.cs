using Bunit.TestDoubles;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VirtWeb.Components;
using VirtWeb.Consoles;
using VirtWeb.Data;
using VirtWeb.MachineIds;
using VirtWeb.Snapshots;
using VirtWeb.Networks;
using VirtWeb.Templates;
using VirtWeb.Usage;

namespace VirtWeb.Tests;

/// <summary>The one setup every component test shares.</summary>
public static class TestServices
{
    public static BunitContext AddTestServices(this BunitContext context)
    {
        // The services each feature registers for the app, without its background work (no supervisor connects, no
        // poller or collector runs): component tests feed the live store directly.
        context.Services
            .AddComponentsServices(mud => mud.PopoverOptions.CheckForPopoverProvider = false)
            // Component tests never reach the database, so nothing listens here.
            .AddVirtWebDatabase("Host=127.0.0.1;Port=1;Database=unused")
            .AddAccessServices()
            .AddLiveServices()
            .AddHostsServices()
            .AddGuestsServices()
            .AddConsolesServices()
            .AddMachineIdsServices()
            .AddImagesServices()
            .AddSnapshotsServices()
            .AddNetworksServices()
            .AddTemplatesServices()
            .AddUsageServices();
        context.Services.Replace(ServiceDescriptor.Singleton<IHostConnections, NoHostConnections>());
        context.Services.TryAddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(Microsoft.Extensions.Logging.Abstractions.NullLogger<>));
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
internal sealed class NoHostConnections : IHostConnections
{
    public Task ApplyAsync(HostRecord host) => Task.CompletedTask;

    public Task StopAsync(Guid hostId) => Task.CompletedTask;

    public VirtWeb.Libvirt.LibvirtConnection GetConnection(Guid hostId) =>
        throw new HostUnavailableException("Component tests have no libvirt connection.");

    public Task<SeparateConnection> OpenSeparateAsync(Guid hostId, CancellationToken cancellationToken = default) =>
        throw new HostUnavailableException("Component tests have no libvirt connection.");
}
