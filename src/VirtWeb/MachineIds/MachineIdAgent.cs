using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace VirtWeb.MachineIds;

/// <summary>What went wrong talking to a guest agent, already in words for the user (registry left as it was).</summary>
public sealed class MachineIdAgentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a guest-exec'd command left behind.</summary>
public sealed record AgentExecResult(int? ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// The guest agent calls the machine-ID work needs (guest-file-*, guest-exec), on one domain, through libvirt's
/// <c>virDomainQemuAgentCommand</c>. libvirt blocks the calling thread for up to the timeout, so every call runs on the
/// thread pool. Failures become <see cref="MachineIdAgentException"/> naming the guest and what to do.
/// </summary>
public sealed class MachineIdAgent(LibvirtDomain domain, string guestName, int timeoutSeconds = MachineIdAgent.DefaultTimeoutSeconds)
{
    /// <summary>Generous for TCG guests on a loaded host; qemu-ga itself answers in milliseconds.</summary>
    public const int DefaultTimeoutSeconds = 10;

    public const string EtcMachineId = "/etc/machine-id";
    public const string DbusMachineId = "/var/lib/dbus/machine-id";

    private static readonly TimeSpan ExecPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Whether the domain's agent channel is connected now (a running guest whose qemu-ga answers).</summary>
    public static bool IsConnected(LibvirtDomain domain) =>
        domain.GetDefinition().Channels.Any(c => c.TargetName == GuestReader.AgentChannel && c.TargetState == "connected");

    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        var request = new JsonObject { ["execute"] = command };
        if (arguments is not null)
        {
            request["arguments"] = arguments;
        }

        var json = request.ToJsonString();
        string reply;
        try
        {
            reply = await Task.Run(() => domain.QemuAgentCommand(json, timeoutSeconds), cancellationToken);
        }
        catch (LibvirtException e)
        {
            throw Explain(e, command);
        }

        using var document = JsonDocument.Parse(reply);
        return document.RootElement.TryGetProperty("return", out var value)
            ? value.Clone()
            : throw new MachineIdAgentException($"{guestName}'s guest agent gave no answer to {command}: {reply}");
    }

    /// <summary>A small text file, or null when the guest has no such file.</summary>
    public async Task<string?> ReadTextAsync(string path, CancellationToken cancellationToken = default)
    {
        long handle;
        try
        {
            handle = (await ExecuteAsync("guest-file-open", new JsonObject { ["path"] = path, ["mode"] = "r" }, cancellationToken)).GetInt64();
        }
        catch (MachineIdAgentException e) when (e.InnerException is LibvirtException { Code: LibvirtErrorCode.InternalError } inner
            && inner.Message.Contains("No such file", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var chunk = await ExecuteAsync("guest-file-read", new JsonObject { ["handle"] = handle, ["count"] = 4096 }, cancellationToken);
            return Encoding.UTF8.GetString(Convert.FromBase64String(chunk.GetProperty("buf-b64").GetString() ?? ""));
        }
        finally
        {
            await CloseQuietlyAsync(handle);
        }
    }

    /// <summary>The machine ID in a file (trailing newline dropped), null when the file is missing, or what is wrong with it.</summary>
    public async Task<(MachineId? Id, string? Problem)> ReadMachineIdAsync(string path, CancellationToken cancellationToken = default)
    {
        var text = await ReadTextAsync(path, cancellationToken);
        if (text is null)
        {
            return (null, null);
        }

        var trimmed = text.TrimEnd('\n');
        return MachineId.TryParse(trimmed, out var id) ? (id, null) : (null, $"{path}: {MachineId.Problem(trimmed)}");
    }

    /// <summary>Creates or truncates <paramref name="path"/> and writes <paramref name="content"/>.</summary>
    public async Task WriteTextAsync(string path, string content, CancellationToken cancellationToken = default)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var handle = (await ExecuteAsync("guest-file-open", new JsonObject { ["path"] = path, ["mode"] = "w" }, cancellationToken)).GetInt64();
        try
        {
            var written = await ExecuteAsync("guest-file-write", new JsonObject { ["handle"] = handle, ["buf-b64"] = Convert.ToBase64String(bytes) }, cancellationToken);
            if (written.GetProperty("count").GetInt32() != bytes.Length)
            {
                throw new MachineIdAgentException($"The guest agent of {guestName} wrote only part of {path}.");
            }

            await ExecuteAsync("guest-file-flush", new JsonObject { ["handle"] = handle }, cancellationToken);
        }
        finally
        {
            await CloseQuietlyAsync(handle);
        }
    }

    /// <summary>
    /// Runs <c>/bin/sh -c <paramref name="script"/></c> with guest-exec and waits (up to <paramref name="deadline"/>)
    /// for it to exit. Null when the agent refuses guest-exec (disabled by the guest's policy): the caller falls back.
    /// </summary>
    public async Task<AgentExecResult?> ShellAsync(string script, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        long pid;
        try
        {
            var started = await ExecuteAsync("guest-exec", new JsonObject
            {
                ["path"] = "/bin/sh",
                ["arg"] = new JsonArray("-c", script),
                ["capture-output"] = true,
            }, cancellationToken);
            pid = started.GetProperty("pid").GetInt64();
        }
        catch (MachineIdAgentException e) when (e.InnerException is LibvirtException inner
            && (inner.Message.Contains("disabled", StringComparison.OrdinalIgnoreCase) || inner.Message.Contains("not found", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(deadline);
        while (true)
        {
            // qemu-ga forgets a process once it has reported its exit: this answer is the only one.
            var status = await ExecuteAsync("guest-exec-status", new JsonObject { ["pid"] = pid }, cancellationToken);
            if (status.GetProperty("exited").GetBoolean())
            {
                return new AgentExecResult(
                    status.TryGetProperty("exitcode", out var code) ? code.GetInt32() : null,
                    Text(status, "out-data"),
                    Text(status, "err-data"));
            }

            try
            {
                await Task.Delay(ExecPoll, limit.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new MachineIdAgentException($"'{script}' had not finished in {guestName} after {deadline.TotalSeconds:0} s; check the guest, nothing was recorded.");
            }
        }
    }

    private async Task CloseQuietlyAsync(long handle)
    {
        try
        {
            // Not cancellable: a handle left open leaks in qemu-ga for the life of the guest.
            await ExecuteAsync("guest-file-close", new JsonObject { ["handle"] = handle }, CancellationToken.None);
        }
        catch (MachineIdAgentException)
        {
            // The guest went away mid-way; the first error is the one worth showing.
        }
    }

    private MachineIdAgentException Explain(LibvirtException e, string command) => e.Code switch
    {
        _ when e.Message.Contains("disappeared", StringComparison.OrdinalIgnoreCase) || !StillRunning() => new MachineIdAgentException(
            $"{guestName} stopped or went away while VirtWeb talked to its guest agent ({GuestActionLock.Plain(e)}) Start it and try again; nothing was recorded.", e),
        _ when e.Message.Contains("not connected", StringComparison.OrdinalIgnoreCase) => new MachineIdAgentException(
            $"{guestName} has no connected guest agent ({GuestActionLock.Plain(e)}) Install and start qemu-guest-agent in the guest (with an " +
            $"{GuestReader.AgentChannel} channel in its XML), or shut it off and assign an id through SMBIOS instead; nothing was recorded.", e),
        LibvirtErrorCode.AgentUnresponsive or LibvirtErrorCode.OperationTimeout => new MachineIdAgentException(
            $"The guest agent of {guestName} did not answer {command} in time (libvirt: {GuestActionLock.Plain(e)}) " +
            "Check that qemu-guest-agent runs in the guest and the guest is not overloaded or paused, then try again; nothing was recorded.", e),
        LibvirtErrorCode.OperationInvalid or LibvirtErrorCode.NoDomain => new MachineIdAgentException(
            $"{guestName} stopped or went away while VirtWeb talked to its guest agent ({GuestActionLock.Plain(e)}) Start it and try again; nothing was recorded.", e),
        LibvirtErrorCode.AgentUnsynced => new MachineIdAgentException(
            $"The guest agent of {guestName} is not connected ({GuestActionLock.Plain(e)}) Wait until the guest has booted, or install and start qemu-guest-agent; nothing was recorded.", e),
        _ => new MachineIdAgentException($"The guest agent of {guestName} refused {command}: {GuestActionLock.Plain(e)}", e),
    };

    // A timeout and a guest that shut down look alike from the agent's side; the domain's state tells them apart.
    private bool StillRunning()
    {
        try
        {
            return domain.GetState().State == DomainState.Running;
        }
        catch (LibvirtException)
        {
            return false;
        }
    }

    private static string Text(JsonElement status, string name) =>
        status.TryGetProperty(name, out var value) ? Encoding.UTF8.GetString(Convert.FromBase64String(value.GetString() ?? "")) : "";
}
