using System.Xml.Linq;
using VirtWeb.Images;

namespace VirtWeb.Guests;

/// <summary>
/// Guests reference only volumes: every file a definition makes the host open (disks, CD-ROMs, kernel, initrd,
/// firmware, NVRAM, serial and log files) must be a volume of a pool inside VirtWeb's storage roots, and nothing may
/// pass host devices, directories, programs or driver options (<c>qemu:commandline</c>) through. Create, clone and XML
/// edit call <see cref="Require"/> before anything is defined; template deploy and snapshots are to call it too.
/// </summary>
/// <remarks>
/// An XML edit may keep what the guest's current definition already has, unchanged (someone with a shell on the host
/// put it there, and refusing it would make the guest uneditable here); anything new or changed is checked. A clone is
/// a new definition and inherits no such exception. The firmware may also be one the host offers (domain capabilities),
/// the emulator only one the host's capabilities name. The test driver is exempt from the roots, not from these rules.
/// </remarks>
public sealed class DefinitionPolicy(StorageRoots roots)
{
    /// <summary>
    /// Refuses <paramref name="xml"/> on <paramref name="connection"/> with every problem named, as a policy refusal
    /// (audited Denied). <paramref name="currentXml"/>: the definition being replaced, whose unchanged references are kept.
    /// </summary>
    public void Require(LibvirtConnection connection, string xml, string? currentXml = null)
    {
        var problems = Problems(connection, xml, currentXml);
        if (problems.Count > 0)
        {
            throw new GuestActionException(string.Join(" ", problems)) { Outcome = AuditOutcome.Denied };
        }
    }

    /// <summary>
    /// A guest about to be created, checked before any volume is made for it: the ISO, kernel, initrd and an existing
    /// disk as chosen (<paramref name="xmlFor"/> writes the definition with that disk, or none), then a new disk's pool.
    /// </summary>
    public void RequireCreate(LibvirtConnection connection, GuestCreateInput input, Func<(string Path, string Format)?, string> xmlFor)
    {
        Require(connection, xmlFor(input.Disk == GuestDiskChoice.ExistingVolume ? (input.ExistingVolumePath?.Trim() ?? "", "raw") : null));
        if (input.Disk is GuestDiskChoice.NewQcow2 or GuestDiskChoice.NewRaw)
        {
            RequirePool(connection, input.Pool?.Trim() ?? "", $"the new disk ({GuestCreation.DiskTarget(input.DiskBus ?? "virtio")})");
        }
    }

    /// <summary>A new disk is made in <paramref name="poolName"/>: refused when that pool is outside the roots.</summary>
    public void RequirePool(LibvirtConnection connection, string poolName, string element)
    {
        using var pool = connection.GetStoragePoolByName(poolName);
        var directory = pool.GetDefinition().TargetPath;
        if (!roots.IsInside(connection, directory))
        {
            throw new GuestActionException(
                $"{DefinitionScan.Capital(element)} would be made in pool {pool.Name} ({directory ?? "no directory on the host"}), which is outside VirtWeb's storage roots ({roots.Described}); choose a pool under them.")
            { Outcome = AuditOutcome.Denied };
        }
    }

    /// <summary>Deleting a guest with its disks: a disk in a pool outside the roots is not VirtWeb's to delete.</summary>
    public void RequireDeletable(LibvirtStorageVolume volume, string element)
    {
        using var pool = volume.GetPool();
        var directory = pool.GetDefinition().TargetPath;
        if (!roots.IsInside(volume.Connection, directory))
        {
            throw new GuestActionException(
                $"{DefinitionScan.Capital(element)} is a volume of pool {pool.Name} ({directory ?? "no directory on the host"}), outside VirtWeb's storage roots ({roots.Described}); " +
                "VirtWeb deletes no files there. Delete the guest and keep its disks, then remove that file on the host.")
            { Outcome = AuditOutcome.Denied };
        }
    }

    public IReadOnlyList<string> Problems(LibvirtConnection connection, string xml, string? currentXml = null)
    {
        var domain = XDocument.Parse(xml).Root ?? throw new GuestActionException("The XML is empty.");
        var kept = currentXml is null
            ? []
            : DefinitionScan.Scan(XDocument.Parse(currentXml).Root!).Select(r => r.Key).ToHashSet(StringComparer.Ordinal);
        var host = new HostOffers(connection, domain);
        return DefinitionScan.Scan(domain)
            .Where(reference => !kept.Contains(reference.Key))
            .Select(reference => Problem(connection, reference, host))
            .OfType<string>()
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    private string? Problem(LibvirtConnection connection, DefinitionReference reference, HostOffers host)
    {
        var element = DefinitionScan.Capital(reference.Element);
        switch (reference.Kind)
        {
            case ReferenceKind.Refused:
                return reference.Value;
            case ReferenceKind.Emulator:
                return host.Emulators.Contains(reference.Value)
                    ? null
                    : $"The emulator {reference.Value} is not one this host's libvirt offers ({List(host.Emulators)}); {reference.Advice}.";
            case ReferenceKind.Loader when host.Loaders.Contains(reference.Value):
                return null;
            case ReferenceKind.PoolVolume:
                return PoolVolumeProblem(connection, reference, element);
        }

        if (StorageRoots.Normalize(reference.Value, out _) != reference.Value)
        {
            return $"{element} names {reference.Value}, which is not written plainly (relative, '.', '..' or '//'); name the volume's own path.";
        }

        return IsVolumeInside(connection, reference.Value)
            ? null
            : $"{element} names {reference.Value}, which is not a volume of a pool inside VirtWeb's storage roots ({roots.Described}); {reference.Advice}.";
    }

    private bool IsVolumeInside(LibvirtConnection connection, string path)
    {
        if (StorageRoots.AppliesTo(connection) && !roots.Contains(path))
        {
            return false;
        }

        try
        {
            using var volume = connection.GetStorageVolumeByPath(path);
            using var pool = volume.GetPool();
            return roots.IsInside(connection, pool.GetDefinition().TargetPath);
        }
        catch (LibvirtException)
        {
            // No active pool holds it: not a volume.
            return false;
        }
    }

    private string? PoolVolumeProblem(LibvirtConnection connection, DefinitionReference reference, string element)
    {
        try
        {
            using var pool = connection.GetStoragePoolByName(reference.Pool!);
            var directory = pool.GetDefinition().TargetPath;
            if (!roots.IsInside(connection, directory))
            {
                return $"{element} names volume {reference.Value} of pool {reference.Pool}, which is outside VirtWeb's storage roots ({roots.Described}); {reference.Advice}.";
            }

            using var _ = pool.GetVolumeByName(reference.Value);
            return null;
        }
        catch (LibvirtException)
        {
            return $"{element} names volume {reference.Value} of pool {reference.Pool}, which this host does not have (or whose pool is stopped); {reference.Advice}.";
        }
    }

    private static string List(IReadOnlySet<string> values) => values.Count == 0 ? "none" : string.Join(", ", values.Order(StringComparer.Ordinal));

    /// <summary>The emulators and firmware the host itself offers, read only when a definition names one.</summary>
    private sealed class HostOffers(LibvirtConnection connection, XElement domain)
    {
        private IReadOnlySet<string>? _emulators;
        private IReadOnlySet<string>? _loaders;

        public IReadOnlySet<string> Emulators => _emulators ??= Read(() =>
            connection.GetCapabilities().Guests.Select(g => g.Emulator).OfType<string>());

        public IReadOnlySet<string> Loaders => _loaders ??= Read(() =>
        {
            var type = domain.Element("os")?.Element("type");
            return connection.GetDomainCapabilities(
                domain.Element("devices")?.Element("emulator")?.Value.Trim(), type?.Attribute("arch")?.Value,
                type?.Attribute("machine")?.Value, domain.Attribute("type")?.Value).Loaders;
        });

        private static HashSet<string> Read(Func<IEnumerable<string>> read)
        {
            try
            {
                return read().ToHashSet(StringComparer.Ordinal);
            }
            catch (LibvirtException)
            {
                // A driver that cannot say (the test driver has no domain capabilities) offers nothing.
                return [];
            }
        }
    }
}
