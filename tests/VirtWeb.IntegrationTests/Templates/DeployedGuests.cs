using VirtWeb.Libvirt;

namespace VirtWeb.IntegrationTests.Templates;

/// <summary>What a deploy test leaves on the shared libvirtd when it ends, passed or failed.</summary>
internal static class DeployedGuests
{
    /// <summary>Destroys and undefines each guest; one already gone (or never made) is no reason to stop.</summary>
    public static void Remove(LibvirtConnection connection, IEnumerable<Guid> uuids)
    {
        foreach (var uuid in uuids)
        {
            try
            {
                using var domain = connection.GetDomainByUuid(uuid);
                if (domain.IsActive)
                {
                    domain.Destroy();
                }

                domain.Undefine();
            }
            catch (LibvirtException)
            {
            }
        }
    }
}
