using System.Runtime.InteropServices;
using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>
/// One domain's record from <c>virConnectGetAllDomainStats</c>. <see cref="Values"/> keeps libvirt's flat
/// typed parameters ("state.state", "cpu.time", "balloon.current", "vcpu.0.time", "net.0.rx.bytes",
/// "block.1.allocation", ...) with their C types: int, uint, long, ulong, double, bool or string.
/// </summary>
public sealed record DomainStats(string DomainName, Guid DomainUuid, IReadOnlyDictionary<string, object> Values)
{
    public DomainState? State => GetInt64("state.state") is { } state ? (DomainState)state : null;

    /// <summary>Total CPU time the domain used, when the Cpu group was requested.</summary>
    public TimeSpan? CpuTime => GetUInt64("cpu.time") is { } ns ? TimeSpan.FromTicks((long)(ns / 100)) : null;

    /// <summary>A numeric value as long, whatever its C integer type; null if absent or not an integer.</summary>
    public long? GetInt64(string name) => Values.TryGetValue(name, out var value) ? value switch
    {
        int i => i,
        uint u => u,
        long l => l,
        ulong ul when ul <= long.MaxValue => (long)ul,
        _ => null,
    } : null;

    /// <summary>A numeric value as ulong; null if absent, negative or not an integer.</summary>
    public ulong? GetUInt64(string name) => Values.TryGetValue(name, out var value) ? value switch
    {
        int i when i >= 0 => (ulong)i,
        uint u => u,
        long l when l >= 0 => (ulong)l,
        ulong ul => ul,
        _ => null,
    } : null;

    public string? GetString(string name) => Values.TryGetValue(name, out var value) ? value as string : null;

    internal static unsafe DomainStats FromNative(VirDomainStatsRecord* record)
    {
        var values = new Dictionary<string, object>(record->NParams, StringComparer.Ordinal);
        for (var i = 0; i < record->NParams; i++)
        {
            var parameter = &record->Params[i];
            var name = Marshal.PtrToStringUTF8((nint)parameter->Field) ?? string.Empty;
            object? value = (TypedParameterType)parameter->Type switch
            {
                TypedParameterType.Int => parameter->I,
                TypedParameterType.Uint => parameter->UI,
                TypedParameterType.Llong => parameter->L,
                TypedParameterType.Ullong => parameter->UL,
                TypedParameterType.Double => parameter->D,
                TypedParameterType.Boolean => parameter->B != 0,
                TypedParameterType.String => NativeHelpers.Utf8(parameter->S) ?? string.Empty,
                _ => null,
            };
            if (value is not null)
            {
                values[name] = value;
            }
        }
        // The record's domain pointer is owned by the list; copy what identifies it.
        var domainName = NativeHelpers.BorrowString(Native.virDomainGetName(record->Dom));
        var uuid = NativeHelpers.ReadUuid(&Native.virDomainGetUUIDString, record->Dom, "virDomainGetUUIDString");
        return new DomainStats(domainName, uuid, values);
    }
}
