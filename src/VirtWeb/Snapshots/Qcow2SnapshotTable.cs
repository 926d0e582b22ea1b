using System.Buffers.Binary;
using System.Text;

namespace VirtWeb.Snapshots;

/// <summary>One entry of a qcow2 file's internal snapshot table: QEMU's id, the name, the bytes of saved VM (memory) state.</summary>
public sealed record Qcow2Snapshot(string Id, string Name, ulong VmStateBytes);

/// <summary>
/// A qcow2 file's internal snapshot table, read from the bytes the QCOW2 specification lays out (header fields
/// nb_snapshots at byte 60 and snapshots_offset at 64, big-endian). A file that is not a qcow2, or whose header or
/// table is cut short or malformed, gives <see cref="Unknown"/> naming what was wrong, never an exception: the tab
/// then says "size unknown" instead of a made-up number.
/// </summary>
public sealed record Qcow2SnapshotTable(IReadOnlyList<Qcow2Snapshot> Snapshots, string? Unknown)
{
    /// <summary>Bytes of the header up to and including snapshots_offset.</summary>
    public const int HeaderLength = 72;

    // QEMU's own limits (block/qcow2.h): a table beyond them is one QEMU would refuse to open as well.
    private const uint MaxSnapshots = 65536;
    private const int MaxTableBytes = 64 * 1024 * 1024;
    private const uint MaxExtraData = 1024;
    private const int FixedEntryLength = 40;
    private const int FirstRead = 64 * 1024;

    public static Qcow2SnapshotTable Failed(string reason) => new([], reason);

    public Qcow2Snapshot? Find(string name) => Snapshots.FirstOrDefault(s => s.Name == name);

    /// <summary>
    /// Reads the table through <paramref name="read"/> (offset, length → at most that many bytes; fewer only at the
    /// end of the file): the header first, then the table, growing the read until every entry is in.
    /// </summary>
    public static Qcow2SnapshotTable Read(Func<ulong, int, byte[]> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        var header = read(0, HeaderLength);
        if (header.Length < HeaderLength)
        {
            return Failed($"the file has {header.Length} bytes, fewer than a qcow2 header's {HeaderLength}");
        }
        if (BinaryPrimitives.ReadUInt32BigEndian(header) != 0x514649FB)
        {
            return Failed("the file is not a qcow2 image (no QFI\\xfb magic)");
        }
        var version = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(4));
        if (version is not (2 or 3))
        {
            return Failed($"qcow2 version {version} is not one VirtWeb reads (2 or 3)");
        }
        var count = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(60));
        var offset = BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(64));
        if (count == 0)
        {
            return new([], null);
        }
        if (count > MaxSnapshots)
        {
            return Failed($"the header claims {count} snapshots, more than qcow2 allows ({MaxSnapshots})");
        }
        if (offset < HeaderLength)
        {
            return Failed($"the header puts the snapshot table at byte {offset}, inside the header");
        }

        for (var length = FirstRead; ; length *= 2)
        {
            var table = read(offset, length);
            var (snapshots, needed, error) = ParseEntries(table, count);
            if (error is not null)
            {
                return Failed(error);
            }
            if (snapshots is not null)
            {
                return new(snapshots, null);
            }
            if (table.Length < length)
            {
                return Failed($"the snapshot table runs past the end of the file (entry {needed} of {count} is cut short)");
            }
            if (length >= MaxTableBytes)
            {
                return Failed($"the snapshot table is larger than qcow2 allows ({MaxTableBytes / 1024 / 1024} MiB)");
            }
        }
    }

    /// <summary>The <paramref name="count"/> entries in <paramref name="table"/>; null snapshots with the 1-based entry that needs more bytes.</summary>
    internal static (IReadOnlyList<Qcow2Snapshot>? Snapshots, uint Needed, string? Error) ParseEntries(ReadOnlySpan<byte> table, uint count)
    {
        var snapshots = new List<Qcow2Snapshot>((int)Math.Min(count, 1024));
        var position = 0;
        for (var i = 0u; i < count; i++)
        {
            if (table.Length - position < FixedEntryLength)
            {
                return (null, i + 1, null);
            }
            var entry = table[position..];
            var idLength = BinaryPrimitives.ReadUInt16BigEndian(entry[12..]);
            var nameLength = BinaryPrimitives.ReadUInt16BigEndian(entry[14..]);
            var vmState = (ulong)BinaryPrimitives.ReadUInt32BigEndian(entry[32..]);
            var extra = BinaryPrimitives.ReadUInt32BigEndian(entry[36..]);
            if (extra > MaxExtraData)
            {
                return (null, i + 1, $"snapshot entry {i + 1} claims {extra} bytes of extra data, more than qcow2 allows ({MaxExtraData})");
            }
            var length = FixedEntryLength + (int)extra + idLength + nameLength;
            if (entry.Length < length)
            {
                return (null, i + 1, null);
            }
            // vm_state_size_large, when the extra data holds it, replaces the 32-bit field (which caps at 4 GiB).
            if (extra >= 8)
            {
                vmState = BinaryPrimitives.ReadUInt64BigEndian(entry[FixedEntryLength..]);
            }
            var id = Encoding.UTF8.GetString(entry.Slice(FixedEntryLength + (int)extra, idLength));
            var name = Encoding.UTF8.GetString(entry.Slice(FixedEntryLength + (int)extra + idLength, nameLength));
            snapshots.Add(new Qcow2Snapshot(id, name, vmState));
            // Entries start on 8-byte boundaries.
            position += (length + 7) & ~7;
        }

        return (snapshots, 0, null);
    }
}
