using System.Text;
using VirtWeb.Images;

namespace VirtWeb.Templates;

/// <summary>Reads an ISO volume's label; <see cref="LibvirtIsoLabelReader"/> is the real one, component tests give a fixed one.</summary>
public interface IIsoLabelReader
{
    /// <summary>The ISO 9660 volume label of the volume at <paramref name="path"/> on the host, or null when it is not an ISO 9660 image.</summary>
    Task<string?> ReadAsync(Guid hostId, string path, CancellationToken cancellationToken = default);
}

/// <summary>
/// Reads the label through libvirt (<c>virStorageVolDownload</c> of the one 2 KiB sector that holds it), so it works for
/// an ISO on a remote host as for a local one, and VirtWeb never opens host files itself.
/// </summary>
public sealed class LibvirtIsoLabelReader(IHostConnections hostConnections) : IIsoLabelReader
{
    public Task<string?> ReadAsync(Guid hostId, string path, CancellationToken cancellationToken = default)
    {
        var connection = hostConnections.GetConnection(hostId);
        return Task.Run(async () =>
        {
            using var volume = connection.GetStorageVolumeByPath(path);
            if (volume.GetInfo().CapacityBytes < IsoLabel.DescriptorOffset + IsoLabel.SectorSize)
            {
                return null;
            }

            using var sector = new MemoryStream(IsoLabel.SectorSize);
            await volume.DownloadAsync(sector, IsoLabel.DescriptorOffset, IsoLabel.SectorSize, cancellationToken);
            return IsoLabel.Parse(sector.ToArray());
        }, cancellationToken);
    }
}

/// <summary>The ISO 9660 primary volume descriptor's volume identifier (ECMA-119 8.4: sector 16, bytes 40–71).</summary>
public static class IsoLabel
{
    public const int SectorSize = 2048;

    public const ulong DescriptorOffset = 16 * SectorSize;

    public static string? Parse(ReadOnlySpan<byte> sector)
    {
        // Type 1 (primary), then the standard identifier "CD001".
        if (sector.Length < 72 || sector[0] != 1 || !sector[1..6].SequenceEqual("CD001"u8))
        {
            return null;
        }

        var label = Encoding.ASCII.GetString(sector[40..72]).TrimEnd(' ', '\0');
        return label.Length == 0 ? null : label;
    }
}

/// <summary>What the create form shows after an ISO is chosen: its label and the OS osinfo knows by it (or none).</summary>
public sealed record IsoDetection(string? Label, OsPreset? Preset);

/// <summary>
/// The OS of an installer ISO from its volume label, as osinfo-db's <c>&lt;iso&gt;&lt;volume-id&gt;</c> patterns know it
/// (what virt-install's <c>--osinfo detect=on</c> does). Only volumes the caller may see (their pool's View) are read;
/// reading changes nothing, so nothing is audited. Detection is a help: any failure means "not detected".
/// </summary>
public sealed class IsoOsDetection(IIsoLabelReader reader, OsPresets presets, LiveStateStore store, AccessControl access, ILogger<IsoOsDetection> logger)
{
    public async Task<IsoDetection> FindOsAsync(ClaimsPrincipal caller, Guid hostId, string path, CancellationToken cancellationToken = default)
    {
        var volume = store.Volumes.Find(VolumeState.KeyOf(hostId, path));
        if (volume is null || !access.Allows(caller, volume.AccessPath, Permission.View))
        {
            return new IsoDetection(null, null);
        }

        string? label;
        try
        {
            label = await reader.ReadAsync(hostId, path, cancellationToken);
        }
        catch (Exception e) when (e is LibvirtException or HostUnavailableException or IOException)
        {
            logger.LogInformation("Could not read the volume label of {Path}: {Message}", path, e.Message);
            return new IsoDetection(null, null);
        }

        try
        {
            return new IsoDetection(label, label is null ? null : presets.DetectFromVolumeLabel(label));
        }
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException e)
        {
            // osinfo's patterns are plain; a match that runs out of time is a pathological label, not an OS.
            logger.LogInformation("Matching the volume label {Label} timed out on pattern {Pattern}", label, e.Pattern);
            return new IsoDetection(label, null);
        }
    }
}
