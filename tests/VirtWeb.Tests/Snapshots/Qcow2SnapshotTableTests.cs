using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using VirtWeb.Snapshots;

namespace VirtWeb.Tests.Snapshots;

/// <summary>
/// The qcow2 snapshot table parser: on files built byte by byte from the QCOW2 specification (including the cut and
/// malformed ones, which must say why instead of throwing), and on real files qemu-img made, against what qemu-img
/// itself reads from them.
/// </summary>
public sealed class Qcow2SnapshotTableTests
{
    private const ulong TableOffset = 0x10000;

    [Fact]
    public void Read_EntryWithLargeVmState_TheLargeFieldWinsOverThe32BitOne()
    {
        var file = File3(Entry("1", "with-memory", vmState32: 123, extra: Extra(5L << 30)));

        var table = Qcow2SnapshotTable.Read(Reader(file));

        Assert.Null(table.Unknown);
        var entry = Assert.Single(table.Snapshots);
        Assert.Equal(new Qcow2Snapshot("1", "with-memory", 5UL << 30), entry);
    }

    [Fact]
    public void Read_EntriesWithoutExtraDataAndOddNames_32BitSizesAndPaddingFollowed()
    {
        // Names of odd length make every entry end off an 8-byte boundary: the next one starts after the padding.
        var file = File3(Entry("1", "a", vmState32: 7, extra: []), Entry("22", "bcd", vmState32: 300_000_000, extra: []), Entry("3", "ünï", vmState32: 0, extra: Extra(0)));

        var table = Qcow2SnapshotTable.Read(Reader(file));

        Assert.Null(table.Unknown);
        Assert.Equal([new("1", "a", 7), new("22", "bcd", 300_000_000), new("3", "ünï", 0)], table.Snapshots);
        Assert.Equal(300_000_000UL, table.Find("bcd")!.VmStateBytes);
        Assert.Null(table.Find("missing"));
    }

    [Fact]
    public void Read_NoSnapshots_EmptyAndKnown()
    {
        var table = Qcow2SnapshotTable.Read(Reader(File3()));

        Assert.Null(table.Unknown);
        Assert.Empty(table.Snapshots);
    }

    [Fact]
    public void Read_TableLargerThanTheFirstRead_ReadAgainLarger()
    {
        var names = Enumerable.Range(0, 300).Select(i => new string('n', 300) + i).ToArray();
        var file = File3([.. names.Select((n, i) => Entry($"{i}", n, vmState32: (uint)i, extra: Extra((long)i * 4096)))]);
        Assert.True(file.Length - (int)TableOffset > 64 * 1024, "the table is larger than the first read");

        var table = Qcow2SnapshotTable.Read(Reader(file));

        Assert.Null(table.Unknown);
        Assert.Equal(300, table.Snapshots.Count);
        Assert.Equal(299UL * 4096, table.Find(names[299])!.VmStateBytes);
    }

    public static TheoryData<string, byte[], string> Malformed => new()
    {
        { "empty file", [], "fewer than a qcow2 header" },
        { "header cut at 60", File3(Entry("1", "x", 1, []))[..60], "has 60 bytes" },
        { "raw disk", new byte[4096], "not a qcow2 image" },
        { "version 4", With(File3(), 4, 4), "version 4" },
        { "too many snapshots", With(File3(), 60, 70_000), "70000 snapshots" },
        { "table in the header", WithOffset(File3(Entry("1", "x", 1, [])), 8), "inside the header" },
        { "table past the end", File3(Entry("1", "x", 1, Extra(1)), Entry("2", "y", 1, Extra(1)))[..((int)TableOffset + 60)], "entry 2 of 2 is cut short" },
        { "fixed part cut", File3(Entry("1", "x", 1, []))[..((int)TableOffset + 20)], "entry 1 of 1 is cut short" },
        { "extra data too large", File3(Entry("1", "x", 1, new byte[2000])), "2000 bytes of extra data" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Read_MalformedOrTruncated_UnknownWithTheReasonNotAnException(string what, byte[] file, string reason)
    {
        var table = Qcow2SnapshotTable.Read(Reader(file));

        Assert.True(table.Unknown is not null, what);
        Assert.Contains(reason, table.Unknown, StringComparison.Ordinal);
        Assert.Empty(table.Snapshots);
    }

    [Theory]
    [InlineData("1.1")]
    [InlineData("0.10")]
    public async Task Read_FileMadeByQemuImg_SameNamesAndVmSizesAsQemuImgReads(string compat)
    {
        var path = Path.Combine(Path.GetTempPath(), $"vwsnap-table-{Guid.NewGuid():N}.qcow2");
        try
        {
            await QemuImgAsync("create", "-f", "qcow2", "-o", $"compat={compat}", path, "64M");
            foreach (var name in new[] { "first", "second one", "third-ü" })
            {
                await QemuImgAsync("snapshot", "-c", name, path);
            }
            await QemuImgAsync("snapshot", "-d", "second one", path);
            using var info = JsonDocument.Parse(await QemuImgAsync("info", "--output=json", path));
            var expected = info.RootElement.GetProperty("snapshots").EnumerateArray()
                .Select(s => new Qcow2Snapshot(s.GetProperty("id").GetString()!, s.GetProperty("name").GetString()!, s.GetProperty("vm-state-size").GetUInt64()))
                .ToArray();
            var bytes = await File.ReadAllBytesAsync(path);

            var table = Qcow2SnapshotTable.Read(Reader(bytes));

            Assert.Null(table.Unknown);
            Assert.Equal(["first", "third-ü"], table.Snapshots.Select(s => s.Name));
            Assert.Equal(expected, table.Snapshots);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Func<ulong, int, byte[]> Reader(byte[] file) => (offset, length) =>
        offset >= (ulong)file.Length ? [] : file.AsSpan((int)offset, (int)Math.Min((ulong)length, (ulong)file.Length - offset)).ToArray();

    /// <summary>A version 3 file: the header, zeroes up to the table, then the entries.</summary>
    private static byte[] File3(params byte[][] entries)
    {
        var header = new byte[TableOffset];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x514649FB);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(60), (uint)entries.Length);
        BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(64), TableOffset);
        return [.. header, .. entries.SelectMany(e => e)];
    }

    private static byte[] With(byte[] file, int at, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(at), value);
        return file;
    }

    private static byte[] WithOffset(byte[] file, ulong offset)
    {
        BinaryPrimitives.WriteUInt64BigEndian(file.AsSpan(64), offset);
        return file;
    }

    /// <summary>One table entry as the specification lays it out, padded to 8 bytes.</summary>
    private static byte[] Entry(string id, string name, uint vmState32, byte[] extra)
    {
        var idBytes = Encoding.UTF8.GetBytes(id);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var length = 40 + extra.Length + idBytes.Length + nameBytes.Length;
        var entry = new byte[(length + 7) & ~7];
        BinaryPrimitives.WriteUInt64BigEndian(entry, 0x50000);
        BinaryPrimitives.WriteUInt16BigEndian(entry.AsSpan(12), (ushort)idBytes.Length);
        BinaryPrimitives.WriteUInt16BigEndian(entry.AsSpan(14), (ushort)nameBytes.Length);
        BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(32), vmState32);
        BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(36), (uint)extra.Length);
        extra.CopyTo(entry.AsSpan(40));
        idBytes.CopyTo(entry.AsSpan(40 + extra.Length));
        nameBytes.CopyTo(entry.AsSpan(40 + extra.Length + idBytes.Length));
        return entry;
    }

    /// <summary>Extra data as QEMU writes it: vm_state_size_large, then the disk size.</summary>
    private static byte[] Extra(long vmStateLarge)
    {
        var extra = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(extra, (ulong)vmStateLarge);
        BinaryPrimitives.WriteUInt64BigEndian(extra.AsSpan(8), 64 << 20);
        return extra;
    }

    private static async Task<string> QemuImgAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("qemu-img") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"qemu-img {string.Join(' ', arguments)}: {await error}");
        return await output;
    }
}
