namespace VirtWeb.Templates;

/// <summary>One disk of a template: its target, the volume behind it, and both sizes (qcow2 grows; raw takes it all).</summary>
public sealed record TemplateDisk(string Target, string? Volume, string? Format, ulong CapacityBytes, ulong AllocationBytes);

/// <summary>A template as the Templates page lists it.</summary>
public sealed record TemplateInfo(Guid HostId, Guid Uuid, string Name, string Os, int Vcpus, ulong MemoryKiB, IReadOnlyList<TemplateDisk> Disks)
{
    public ulong CapacityBytes => Disks.Aggregate(0UL, (sum, d) => sum + d.CapacityBytes);

    public ulong AllocationBytes => Disks.Aggregate(0UL, (sum, d) => sum + d.AllocationBytes);
}

/// <summary>
/// Marks and unmarks templates (Administrators: the flag changes the guest's definition) under the guest's one-action
/// lock, audited as <c>template.mark</c> / <c>template.unmark</c>, and reads what the Templates page shows.
/// </summary>
public sealed class TemplateService(IHostConnections hostConnections, GuestActionLock actions, AccessControl access, DefinitionPolicy definitions, TimeProvider time)
{
    public const string MarkAction = "template.mark";
    public const string UnmarkAction = "template.unmark";

    /// <summary>libosinfo's namespace in a domain's metadata (virt-install and virt-manager write the OS id there).</summary>
    public const string LibosinfoNamespace = "http://libosinfo.org/xmlns/libvirt/domain/1.0";

    /// <summary>
    /// Marks a shut-off, persistent guest as a template: the flag goes into its metadata and autostart goes off, since a
    /// template must not run (its disk backs linked guests).
    /// </summary>
    public async Task<GuestActionResult> MarkAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.EditGuestXml, MarkAction, AccessPaths.Guest(hostId, uuid), "mark a guest as a template");
        return await actions.RunAsync(caller, hostId, uuid, "Mark as template", MarkAction, (host, domain) =>
        {
            var name = domain.Name;
            if (!domain.IsPersistent)
            {
                throw new GuestActionException($"{name} is transient (it has no definition to keep the flag in); define it persistently first.");
            }

            if (domain.IsActive)
            {
                throw new GuestActionException($"{name} is {GuestText.State(domain.GetState().State).ToLowerInvariant()}; shut it off before making it a template, so its disks are in a consistent state.");
            }

            var xml = domain.GetXml(DomainXmlFlags.Inactive);
            if (TemplateMarks.IsTemplate(DomainDefinition.Parse(xml)))
            {
                return $"{name} is a template already.";
            }

            Redefine(host, xml, TemplateMarks.WithTemplate(xml, true, caller.Identity?.Name ?? "someone", time.GetUtcNow()));
            var autostart = domain.Autostart;
            if (autostart)
            {
                domain.Autostart = false;
            }

            return $"{name} is now a template: it no longer starts{(autostart ? " (autostart turned off)" : "")}; deploy guests from it on the Templates page.";
        }, cancellationToken);
    }

    /// <summary>Removes the template flag; the guest can start again (linked guests on its disks break if it then changes them).</summary>
    public async Task<GuestActionResult> UnmarkAsync(ClaimsPrincipal caller, Guid hostId, Guid uuid, CancellationToken cancellationToken = default)
    {
        await access.RequireAsync(caller, Permission.EditGuestXml, UnmarkAction, AccessPaths.Guest(hostId, uuid), "unmark a template");
        return await actions.RunAsync(caller, hostId, uuid, "Unmark template", UnmarkAction, (host, domain) =>
        {
            var xml = domain.GetXml(DomainXmlFlags.Inactive);
            if (!TemplateMarks.IsTemplate(DomainDefinition.Parse(xml)))
            {
                return $"{domain.Name} is not a template.";
            }

            Redefine(host, xml, TemplateMarks.WithTemplate(xml, false, "", time.GetUtcNow()));
            return $"{domain.Name} is no longer a template and can start; guests linked to its disks break if it changes them.";
        }, cancellationToken);
    }

    /// <summary>The templates of a host with their disks and sizes; whoever may see a template sees it.</summary>
    public async Task<IReadOnlyList<TemplateInfo>> ListAsync(ClaimsPrincipal caller, Guid hostId, IEnumerable<Guid> templateUuids, CancellationToken cancellationToken = default)
    {
        var visible = templateUuids.Where(uuid => access.Allows(caller, AccessPaths.Guest(hostId, uuid), Permission.View)).ToList();
        var connection = hostConnections.GuestConnection(hostId);
        return await Task.Run(() => visible.Select(uuid => Read(connection, hostId, uuid)).OfType<TemplateInfo>().OrderBy(t => t.Name, StringComparer.OrdinalIgnoreCase).ToList(), cancellationToken);
    }

    private static TemplateInfo? Read(LibvirtConnection connection, Guid hostId, Guid uuid)
    {
        try
        {
            using var domain = connection.GetDomainByUuid(uuid);
            var definition = DomainDefinition.Parse(domain.GetXml(DomainXmlFlags.Inactive));
            if (!TemplateMarks.IsTemplate(definition))
            {
                return null;
            }

            var disks = definition.Disks.Where(d => d.Device is "disk" or "lun").Select(d =>
            {
                using var volume = GuestLookups.FindVolume(connection, d);
                var info = volume?.GetInfo();
                return new TemplateDisk(d.TargetDev ?? "?", volume?.Name ?? d.SourceFile ?? d.SourceDevice, d.DriverType, info?.CapacityBytes ?? 0, info?.AllocationBytes ?? 0);
            }).ToList();
            return new TemplateInfo(hostId, uuid, definition.Name, OsName(definition), definition.CurrentVcpus, definition.MemoryKiB ?? 0, disks);
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoDomain)
        {
            return null;
        }
    }

    /// <summary>The OS libosinfo recorded (its id, such as <c>http://debian.org/debian/12</c>, shortened), or what libvirt knows.</summary>
    public static string OsName(DomainDefinition definition) =>
        definition.Metadata.TryGetValue(LibosinfoNamespace, out var element) && element.Elements().FirstOrDefault(e => e.Name.LocalName == "os")?.Attribute("id")?.Value is { } id
            ? id.Replace("http://", "", StringComparison.Ordinal).TrimEnd('/')
            : $"not recorded ({definition.Os.Type}{(definition.Os.Arch is { } arch ? ", " + arch : "")})";

    private void Redefine(WatchedHost host, string currentXml, string xml)
    {
        definitions.Require(host.Connection, xml, currentXml);
        using var _ = host.Connection.DefineDomain(xml, DomainDefineFlags.Validate);
    }
}
