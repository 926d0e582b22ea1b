using VirtWeb.MachineIds;

namespace VirtWeb.Api;

/// <summary>An entry of the machine-ID registry, and whether its holder is gone (a deleted guest), as the page shows it.</summary>
public sealed record MachineIdRow(MachineIdEntry Entry, bool Gone);

/// <summary>Machine IDs: the registry as the Machine IDs page shows it, its duplicates, regenerate and assign.</summary>
public static class MachineIdsApi
{
    public static RouteGroupBuilder MapMachineIdsApi(this RouteGroupBuilder api)
    {
        var ids = api.MapGroup("").WithTags("MachineIds");
        ids.MapGet("/machine-ids", List).WithName("ListMachineIds");
        ids.MapGet("/machine-ids/duplicates", Duplicates).WithName("ListMachineIdDuplicates");
        ids.MapPost("/hosts/{hostId}/guests/{uuid}/machine-id/regenerate",
            async (ClaimsPrincipal user, MachineIdService machineIds, Guid hostId, Guid uuid, CancellationToken cancellationToken) =>
                GuestsApi.Done(await machineIds.RegenerateAsync(user, hostId, uuid, cancellationToken))).WithName("RegenerateMachineId");
        ids.MapPost("/hosts/{hostId}/guests/{uuid}/machine-id/assign",
            async (ClaimsPrincipal user, MachineIdService machineIds, Guid hostId, Guid uuid, CancellationToken cancellationToken) =>
                GuestsApi.Done(await machineIds.AssignAsync(user, hostId, uuid, cancellationToken))).WithName("AssignMachineId");
        return api;
    }

    private static IReadOnlyList<MachineIdRow> List(ClaimsPrincipal user, MachineIdRegistry registry, LiveStateStore store, AccessControl access)
    {
        var isGone = IsGone(store);
        return Visible(user, registry, access).Select(e => new MachineIdRow(e, isGone(e))).ToList();
    }

    private static IReadOnlyList<MachineIdDuplicate> Duplicates(ClaimsPrincipal user, MachineIdRegistry registry, LiveStateStore store, AccessControl access) =>
        MachineIdSubjects.FindDuplicates(Visible(user, registry, access), IsGone(store));

    private static IReadOnlyList<MachineIdEntry> Visible(ClaimsPrincipal user, MachineIdRegistry registry, AccessControl access) =>
        registry.Entries.Current(e => MachineIdRegistry.MaySee(access, user, e))
            .OrderBy(e => e.Kind).ThenBy(e => e.Name, StringComparer.OrdinalIgnoreCase).ThenBy(e => e.Source).ToList();

    private static Func<MachineIdEntry, bool> IsGone(LiveStateStore store)
    {
        var hosts = store.Hosts.Current();
        return entry => MachineIdRegistry.IsGone(entry, hosts, (hostId, uuid) => store.Guests.Find(GuestState.KeyOf(hostId, uuid)) is not null);
    }
}
