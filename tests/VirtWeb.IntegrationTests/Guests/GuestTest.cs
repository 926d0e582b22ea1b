namespace VirtWeb.IntegrationTests.Guests;

/// <summary>
/// An integration test of guests on private worlds of <see cref="GuestWorld"/>: its two guests by UUID, the guest
/// services, and a count of what the world's host holds, to show that a refused action made nothing.
/// </summary>
public abstract class GuestTest(VirtWebFactory factory) : IntegrationTest(factory)
{
    /// <summary>"web", running in <see cref="GuestWorld.WriteDefault"/>.</summary>
    protected static Guid Web { get; } = Guid.Parse(GuestWorld.RunningUuid);

    /// <summary>"db", shut off in <see cref="GuestWorld.WriteDefault"/>.</summary>
    protected static Guid Db { get; } = Guid.Parse(GuestWorld.ShutOffUuid);

    protected GuestService Guests => Service<GuestService>();

    protected GuestCreationService Creation => Service<GuestCreationService>();

    protected GuestCloningService Cloning => Service<GuestCloningService>();

    /// <summary>Adds a host on a fresh private world (the default two guests unless <paramref name="worldPath"/>) and waits until it is connected.</summary>
    protected Task<Guid> AddPrivateHostAsync(string? worldPath = null) => GuestWorld.AddPrivateHostAsync(Factory, worldPath);

    /// <summary>How many domains the host defines and volumes its "images" pool holds.</summary>
    protected (int Domains, int Volumes) DomainAndVolumeCount(Guid hostId)
    {
        var connection = Connection(hostId);
        var domains = connection.ListDomains();
        using var pool = connection.GetStoragePoolByName("images");
        var volumes = pool.ListVolumes();
        var counts = (domains.Count, volumes.Count);
        foreach (var d in domains)
        {
            d.Dispose();
        }

        foreach (var v in volumes)
        {
            v.Dispose();
        }

        return counts;
    }
}
