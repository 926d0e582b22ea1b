using System.Buffers.Binary;
using System.Text;

namespace VirtWeb.ConsoleBenchmarks;

/// <summary>
/// Just enough RFB to measure a path to QEMU's VNC server. The round trip is SetEncodings with QEMU's extended key
/// event pseudo-encoding, which QEMU acknowledges at once with a 16-byte update (framebuffer updates wait for QEMU's
/// refresh timer, which would measure the timer). Bulk is 1,000,000-byte ClientCutText messages (QEMU's limit is 1 MiB)
/// upstream, and full-screen Raw updates downstream.
/// </summary>
public sealed class RfbProbe(Stream stream)
{
    private static readonly byte[] Probe = BuildProbe();
    private readonly byte[] _scratch = new byte[1 << 20];

    public int Width { get; private set; }

    public int Height { get; private set; }

    public async Task HandshakeAsync(CancellationToken ct)
    {
        var version = await ReadAsync(12, ct);
        if (!Encoding.ASCII.GetString(version).StartsWith("RFB 003.", StringComparison.Ordinal))
        {
            throw new InvalidDataException("not an RFB server");
        }
        await stream.WriteAsync("RFB 003.008\n"u8.ToArray(), ct);
        var count = (await ReadAsync(1, ct))[0];
        var types = await ReadAsync(count, ct);
        if (!types.Contains((byte)1))
        {
            throw new InvalidDataException($"the VNC server wants security types [{string.Join(", ", types)}], not None");
        }
        await stream.WriteAsync(new byte[] { 1 }, ct);
        if (BinaryPrimitives.ReadUInt32BigEndian(await ReadAsync(4, ct)) != 0)
        {
            throw new InvalidDataException("the VNC security handshake failed");
        }
        await stream.WriteAsync(new byte[] { 1 }, ct);
        var init = await ReadAsync(24, ct);
        Width = BinaryPrimitives.ReadUInt16BigEndian(init.AsSpan(0, 2));
        Height = BinaryPrimitives.ReadUInt16BigEndian(init.AsSpan(2, 2));
        await ReadAsync((int)BinaryPrimitives.ReadUInt32BigEndian(init.AsSpan(20, 4)), ct);
        byte[] setPixelFormat = [0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0];
        await stream.WriteAsync(setPixelFormat, ct);
        await RoundTripAsync(ct);
    }

    /// <summary>One SetEncodings and its 16-byte acknowledgement.</summary>
    public async Task RoundTripAsync(CancellationToken ct)
    {
        await stream.WriteAsync(Probe, ct);
        await stream.FlushAsync(ct);
        var reply = await ReadAsync(16, ct);
        if (reply[0] != 0 || BinaryPrimitives.ReadInt32BigEndian(reply.AsSpan(12, 4)) != -258)
        {
            throw new InvalidDataException("unexpected reply to the round-trip probe");
        }
    }

    /// <summary>Sends <paramref name="messages"/> cut-text messages, then a probe, so the time covers QEMU reading them all.</summary>
    public async Task<long> UploadAsync(int messages, CancellationToken ct)
    {
        const int Length = 1_000_000;
        var message = new byte[8 + Length];
        message[0] = 6;
        BinaryPrimitives.WriteInt32BigEndian(message.AsSpan(4, 4), Length);
        for (var i = 0; i < messages; i++)
        {
            await stream.WriteAsync(message, ct);
        }
        await RoundTripAsync(ct);
        return (long)messages * message.Length;
    }

    /// <summary>Asks for the whole screen <paramref name="frames"/> times (Raw) and reads every byte.</summary>
    public async Task<long> DownloadAsync(int frames, CancellationToken ct)
    {
        long total = 0;
        var request = new byte[10];
        request[0] = 3;
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), (ushort)Width);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(8), (ushort)Height);
        for (var i = 0; i < frames; i++)
        {
            await stream.WriteAsync(request, ct);
            await stream.FlushAsync(ct);
            var covered = 0L;
            while (covered < (long)Width * Height)
            {
                var header = await ReadAsync(4, ct);
                if (header[0] != 0)
                {
                    throw new InvalidDataException($"unexpected server message {header[0]}");
                }
                var rectangles = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2, 2));
                total += 4;
                for (var r = 0; r < rectangles; r++)
                {
                    var rect = await ReadAsync(12, ct);
                    int w = BinaryPrimitives.ReadUInt16BigEndian(rect.AsSpan(4, 2));
                    int h = BinaryPrimitives.ReadUInt16BigEndian(rect.AsSpan(6, 2));
                    var encoding = BinaryPrimitives.ReadInt32BigEndian(rect.AsSpan(8, 4));
                    total += 12;
                    if (encoding != 0)
                    {
                        continue;
                    }
                    var bytes = (long)w * h * 4;
                    await SkipAsync(bytes, ct);
                    total += bytes;
                    covered += (long)w * h;
                }
            }
        }
        return total;
    }

    private async Task SkipAsync(long bytes, CancellationToken ct)
    {
        while (bytes > 0)
        {
            var chunk = (int)Math.Min(bytes, _scratch.Length);
            await stream.ReadExactlyAsync(_scratch.AsMemory(0, chunk), ct);
            bytes -= chunk;
        }
    }

    private async Task<byte[]> ReadAsync(int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }

    private static byte[] BuildProbe()
    {
        var probe = new byte[12];
        probe[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(probe.AsSpan(2), 2);
        BinaryPrimitives.WriteInt32BigEndian(probe.AsSpan(4), 0);
        BinaryPrimitives.WriteInt32BigEndian(probe.AsSpan(8), -258);
        return probe;
    }
}
