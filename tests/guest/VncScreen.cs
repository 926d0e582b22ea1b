using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace VirtWeb.TestGuest;

/// <summary>One full framebuffer as a VNC client sees it: 4 bytes per pixel, little-endian 0x00RRGGBB.</summary>
internal sealed record VncFrame(int Width, int Height, string DesktopName, byte[] Pixels)
{
    public uint PixelAt(int x, int y) => BinaryPrimitives.ReadUInt32LittleEndian(Pixels.AsSpan((y * Width + x) * 4, 4)) & 0xFFFFFF;

    public int CountDistinctColours()
    {
        var colours = new HashSet<uint>();
        for (var offset = 0; offset < Pixels.Length; offset += 4)
        {
            colours.Add(BinaryPrimitives.ReadUInt32LittleEndian(Pixels.AsSpan(offset, 4)) & 0xFFFFFF);
        }
        return colours.Count;
    }
}

/// <summary>
/// A minimal RFB 3.8 client (no authentication, Raw encoding) that fetches one full frame. It reads the screen
/// the way noVNC will, through QEMU's VNC server, so it also proves that server answers; the binding has no
/// virDomainScreenshot, and QEMU's screendump would test the display but not VNC.
/// </summary>
internal static class VncScreen
{
    private const byte SecurityNone = 1;
    private const int EncodingRaw = 0;

    public static async Task<VncFrame> CaptureAsync(string host, int port, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            return await CaptureAsync(host, port, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no full VNC frame from {host}:{port} within {deadline.TotalSeconds:0.#} s");
        }
    }

    /// <summary>One full frame over an already connected stream (e.g. VirtWeb's console websocket).</summary>
    public static async Task<VncFrame> CaptureAsync(Stream stream, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            return await CaptureAsync(stream, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no full VNC frame within {deadline.TotalSeconds:0.#} s");
        }
    }

    private static async Task<VncFrame> CaptureAsync(string host, int port, CancellationToken ct)
    {
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(host, port, ct);
        return await CaptureAsync(client.GetStream(), ct);
    }

    private static async Task<VncFrame> CaptureAsync(Stream stream, CancellationToken ct)
    {

        var version = Encoding.ASCII.GetString(await ReadAsync(stream, 12, ct));
        if (!version.StartsWith("RFB 003.", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"not an RFB server: '{version.TrimEnd()}'");
        }
        await stream.WriteAsync("RFB 003.008\n"u8.ToArray(), ct);

        var typeCount = (await ReadAsync(stream, 1, ct))[0];
        if (typeCount == 0)
        {
            throw new InvalidDataException($"VNC server refused the connection: {await ReadReasonAsync(stream, ct)}");
        }
        var types = await ReadAsync(stream, typeCount, ct);
        if (!types.Contains(SecurityNone))
        {
            // QEMU only asks for a password or TLS when libvirt configured one; the test guest has neither.
            throw new InvalidDataException($"VNC server wants security types [{string.Join(", ", types)}], not None");
        }
        await stream.WriteAsync(new[] { SecurityNone }, ct);
        if (BinaryPrimitives.ReadUInt32BigEndian(await ReadAsync(stream, 4, ct)) != 0)
        {
            throw new InvalidDataException($"VNC security handshake failed: {await ReadReasonAsync(stream, ct)}");
        }

        // ClientInit with shared = 1, so an open console elsewhere is not disconnected.
        await stream.WriteAsync(new byte[] { 1 }, ct);
        var serverInit = await ReadAsync(stream, 24, ct);
        var width = BinaryPrimitives.ReadUInt16BigEndian(serverInit.AsSpan(0, 2));
        var height = BinaryPrimitives.ReadUInt16BigEndian(serverInit.AsSpan(2, 2));
        var nameLength = (int)BinaryPrimitives.ReadUInt32BigEndian(serverInit.AsSpan(20, 4));
        var name = Encoding.UTF8.GetString(await ReadAsync(stream, nameLength, ct));

        // Ask for 32-bit little-endian true colour whatever the server prefers, so decoding is one format.
        byte[] setPixelFormat = [0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0];
        await stream.WriteAsync(setPixelFormat, ct);
        var setEncodings = new byte[8];
        setEncodings[0] = 2;
        BinaryPrimitives.WriteUInt16BigEndian(setEncodings.AsSpan(2), 1);
        BinaryPrimitives.WriteInt32BigEndian(setEncodings.AsSpan(4), EncodingRaw);
        await stream.WriteAsync(setEncodings, ct);
        var request = new byte[10];
        request[0] = 3; // FramebufferUpdateRequest, incremental = 0: the whole screen
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), width);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(8), height);
        await stream.WriteAsync(request, ct);

        var pixels = new byte[width * height * 4];
        var covered = new bool[width * height];
        var remaining = covered.Length;
        // The server may split the screen over several updates; keep reading until every pixel has arrived.
        while (remaining > 0)
        {
            var messageType = (await ReadAsync(stream, 1, ct))[0];
            switch (messageType)
            {
                case 0: // FramebufferUpdate
                    var header = await ReadAsync(stream, 3, ct);
                    var rectangles = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(1, 2));
                    for (var i = 0; i < rectangles; i++)
                    {
                        remaining -= await ReadRawRectangleAsync(stream, width, height, pixels, covered, ct);
                    }
                    break;
                case 1: // SetColourMapEntries: only for palette formats, skipped
                    var colourMap = await ReadAsync(stream, 5, ct);
                    await ReadAsync(stream, BinaryPrimitives.ReadUInt16BigEndian(colourMap.AsSpan(3, 2)) * 6, ct);
                    break;
                case 2: // Bell
                    break;
                case 3: // ServerCutText
                    var cut = await ReadAsync(stream, 7, ct);
                    await ReadAsync(stream, (int)BinaryPrimitives.ReadUInt32BigEndian(cut.AsSpan(3, 4)), ct);
                    break;
                default:
                    throw new InvalidDataException($"unexpected VNC server message type {messageType}");
            }
        }
        return new VncFrame(width, height, name, pixels);
    }

    /// <returns>How many pixels arrived for the first time.</returns>
    private static async Task<int> ReadRawRectangleAsync(Stream stream, int width, int height, byte[] pixels, bool[] covered, CancellationToken ct)
    {
        var header = await ReadAsync(stream, 12, ct);
        int x = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(0, 2));
        int y = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(2, 2));
        int w = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(4, 2));
        int h = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(6, 2));
        var encoding = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(8, 4));
        if (encoding != EncodingRaw)
        {
            throw new InvalidDataException($"VNC server sent encoding {encoding}; only Raw was offered");
        }
        if (x + w > width || y + h > height)
        {
            throw new InvalidDataException($"VNC rectangle {w}x{h}+{x}+{y} outside the {width}x{height} screen");
        }
        var data = await ReadAsync(stream, w * h * 4, ct);
        var fresh = 0;
        for (var row = 0; row < h; row++)
        {
            data.AsSpan(row * w * 4, w * 4).CopyTo(pixels.AsSpan(((y + row) * width + x) * 4));
            for (var column = 0; column < w; column++)
            {
                var index = (y + row) * width + x + column;
                if (!covered[index])
                {
                    covered[index] = true;
                    fresh++;
                }
            }
        }
        return fresh;
    }

    private static async Task<string> ReadReasonAsync(Stream stream, CancellationToken ct)
    {
        var length = (int)BinaryPrimitives.ReadUInt32BigEndian(await ReadAsync(stream, 4, ct));
        return Encoding.UTF8.GetString(await ReadAsync(stream, length, ct));
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int count, CancellationToken ct)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer, ct);
        return buffer;
    }
}
