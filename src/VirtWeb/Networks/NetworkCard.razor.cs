using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using VirtWeb.Access;
using VirtWeb.Components;
using VirtWeb.Libvirt.Xml;

namespace VirtWeb.Networks;

/// <summary>One network with its addresses, guests and leases, and the actions an Administrator of it may take.</summary>
public partial class NetworkCard
{
    private readonly OneAtATime _action = new(e => e is NetworkException or AccessDeniedException);

    [Parameter, EditorRequired]
    public required NetworkState Network { get; set; }

    [Parameter, EditorRequired]
    public required ClaimsPrincipal User { get; set; }

    [Parameter]
    public IReadOnlyList<GuestNicState> Nics { get; set; } = [];

    [Parameter]
    public IReadOnlyList<LeaseState> Leases { get; set; } = [];

    [Parameter, EditorRequired]
    public required Func<Guid, string, string?> GuestOfMac { get; set; }

    [Inject]
    public required NetworkService Service { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    // Hides what the service refuses anyway; NetworkService checks the role for every change.
    private bool MayManage => Access.Allows(User, Network.AccessPath, Permission.ManageHosts);

    private NetworkAddress? Ipv4 => Network.Addresses.FirstOrDefault(a => !a.IsIPv6);

    private async Task RunAsync(Func<Task<string>> action)
    {
        string? done = null;
        await _action.RunAsync(async () => done = await action());
        if (done is not null)
        {
            Snackbar.Add(done, Severity.Success);
        }
    }

    private async Task DeleteAsync()
    {
        var question = Nics.Count > 0
            ? $"Guests {string.Join(", ", Nics.Select(n => n.GuestName).Distinct())} have cards on {Network.Name}; VirtWeb will refuse until they are moved."
            : $"VirtWeb stops {Network.Name} and forgets it; its bridge and DHCP server go away.";
        if (await Dialogs.ShowMessageBoxAsync($"Delete network {Network.Name}?", question, yesText: "Delete", cancelText: "Cancel") == true)
        {
            await RunAsync(() => Service.DeleteAsync(User, Network.HostId, Network.Name));
        }
    }

    private async Task EditDhcpAsync()
    {
        var dialog = await Dialogs.ShowAsync<DhcpDialog>($"DHCP of {Network.Name}", new DialogParameters<DhcpDialog>
        {
            { d => d.Network, Network },
        }, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true });
        if (await dialog.Result is { Canceled: false, Data: string done })
        {
            Snackbar.Add(done, Severity.Success);
        }
    }
}
