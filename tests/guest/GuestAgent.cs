using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using VirtWeb.Libvirt;

namespace VirtWeb.TestGuest;

/// <summary>What a process started with guest-exec left behind. <see cref="ExitCode"/> is null when a signal ended it.</summary>
internal sealed record GuestExecResult(int? ExitCode, int? Signal, string StandardOutput, string StandardError);

/// <summary>
/// The QEMU guest agent of one domain, spoken to through libvirt (<c>virDomainQemuAgentCommand</c>). Requests
/// are built and replies parsed with System.Text.Json. libvirt's call blocks its thread for up to the command
/// timeout, so every command runs on the thread pool rather than on the test's thread.
/// </summary>
internal sealed class GuestAgent(LibvirtDomain domain)
{
    /// <summary>Generous for TCG: qemu-ga answers in milliseconds, but a loaded 2-core host can stall the guest for seconds.</summary>
    public const int DefaultTimeoutSeconds = 10;

    // guest-file-read returns at most this much per call; qemu-ga caps a read at 48 MiB anyway.
    private const int ReadChunkBytes = 64 * 1024;
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Sends <paramref name="command"/> with optional arguments and returns the agent's <c>"return"</c> value.
    /// An agent error or a missing agent comes back as libvirt's <see cref="LibvirtException"/>.
    /// </summary>
    public Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments = null, int timeoutSeconds = DefaultTimeoutSeconds, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }
        var json = request.ToJsonString();
        return Task.Run(() =>
        {
            var reply = domain.QemuAgentCommand(json, timeoutSeconds);
            using var document = JsonDocument.Parse(reply);
            return document.RootElement.TryGetProperty("return", out var value)
                ? value.Clone()
                : throw new InvalidOperationException($"{command}: the agent's reply has no \"return\": {reply}");
        }, cancellationToken);
    }

    public Task PingAsync(int timeoutSeconds = DefaultTimeoutSeconds, CancellationToken cancellationToken = default) =>
        ExecuteAsync("guest-ping", timeoutSeconds: timeoutSeconds, cancellationToken: cancellationToken);

    /// <summary>Reads a whole file with guest-file-open/read/close.</summary>
    public async Task<byte[]> ReadFileAsync(string path, CancellationToken cancellationToken = default)
    {
        var handle = await OpenFileAsync(path, "r", cancellationToken);
        try
        {
            using var content = new MemoryStream();
            while (true)
            {
                var chunk = await ExecuteAsync("guest-file-read", new JsonObject { ["handle"] = handle, ["count"] = ReadChunkBytes }, cancellationToken: cancellationToken);
                content.Write(Convert.FromBase64String(chunk.GetProperty("buf-b64").GetString() ?? ""));
                if (chunk.GetProperty("eof").GetBoolean())
                {
                    return content.ToArray();
                }
            }
        }
        finally
        {
            await CloseFileAsync(handle);
        }
    }

    public async Task<string> ReadTextFileAsync(string path, CancellationToken cancellationToken = default) =>
        Encoding.UTF8.GetString(await ReadFileAsync(path, cancellationToken));

    /// <summary>Creates or truncates <paramref name="path"/> and writes <paramref name="content"/> with guest-file-write.</summary>
    public async Task WriteFileAsync(string path, byte[] content, CancellationToken cancellationToken = default)
    {
        var handle = await OpenFileAsync(path, "w", cancellationToken);
        try
        {
            var written = await ExecuteAsync("guest-file-write", new JsonObject { ["handle"] = handle, ["buf-b64"] = Convert.ToBase64String(content) }, cancellationToken: cancellationToken);
            var count = written.GetProperty("count").GetInt32();
            if (count != content.Length)
            {
                throw new IOException($"guest-file-write wrote {count} of {content.Length} bytes to {path}");
            }
        }
        finally
        {
            await CloseFileAsync(handle);
        }
    }

    /// <summary>
    /// Runs a program with guest-exec (output captured) and polls guest-exec-status until it has exited or
    /// <paramref name="deadline"/> (10 s by default) passes.
    /// </summary>
    public async Task<GuestExecResult> ExecAsync(string path, IEnumerable<string>? arguments = null, TimeSpan? deadline = null, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject { ["path"] = path, ["capture-output"] = true };
        if (arguments is not null)
        {
            request["arg"] = new JsonArray([.. arguments.Select(a => JsonValue.Create(a))]);
        }
        var pid = (await ExecuteAsync("guest-exec", request, cancellationToken: cancellationToken)).GetProperty("pid").GetInt64();

        var limit = deadline ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            // qemu-ga forgets a process once it has reported it exited: this answer is the only one there is.
            var status = await ExecuteAsync("guest-exec-status", new JsonObject { ["pid"] = pid }, cancellationToken: cancellationToken);
            if (status.GetProperty("exited").GetBoolean())
            {
                return new GuestExecResult(
                    OptionalInt(status, "exitcode"),
                    OptionalInt(status, "signal"),
                    OptionalBase64Text(status, "out-data"),
                    OptionalBase64Text(status, "err-data"));
            }
            if (clock.Elapsed >= limit)
            {
                throw new TimeoutException($"guest-exec {path} (pid {pid}) had not exited after {limit.TotalSeconds:0.#} s");
            }
            await Task.Delay(PollInterval, cancellationToken);
        }
    }

    private async Task<long> OpenFileAsync(string path, string mode, CancellationToken cancellationToken) =>
        (await ExecuteAsync("guest-file-open", new JsonObject { ["path"] = path, ["mode"] = mode }, cancellationToken: cancellationToken)).GetInt64();

    // Not cancellable: a handle left open leaks in qemu-ga for the life of the guest.
    private Task CloseFileAsync(long handle) => ExecuteAsync("guest-file-close", new JsonObject { ["handle"] = handle });

    private static int? OptionalInt(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetInt32() : null;

    private static string OptionalBase64Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? Encoding.UTF8.GetString(Convert.FromBase64String(value.GetString() ?? "")) : "";
}
