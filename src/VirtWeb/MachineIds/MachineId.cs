using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace VirtWeb.MachineIds;

/// <summary>
/// A D-Bus / systemd machine ID: 128 bits written as exactly 32 lowercase hex characters, never all zeros, as in
/// <c>/etc/machine-id</c>. Anything else (uppercase, dashes, the word <c>uninitialized</c> systemd writes during first
/// boot) is refused with the reason, because a tool keyed on the id compares the text byte for byte.
/// </summary>
public readonly record struct MachineId
{
    public const int Length = 32;

    private readonly string? _value;

    private MachineId(string value) => _value = value;

    /// <summary>The 32 lowercase hex characters.</summary>
    public string Value => _value ?? throw new InvalidOperationException("A default MachineId holds no id; use Parse, TryParse or New.");

    /// <summary>
    /// A fresh random id in the format <c>dbus-uuidgen</c> and systemd write: 128 random bits marked as a version 4
    /// UUID (what <c>systemd-id128 new</c> and <c>sd_id128_randomize</c> produce), lowercase hex without dashes.
    /// </summary>
    public static MachineId New()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new MachineId(Convert.ToHexStringLower(bytes));
    }

    /// <summary>A UUID's 128 bits as a machine ID (libvirt's host UUID or a guest's SMBIOS UUID), or null for the nil UUID.</summary>
    public static MachineId? FromUuid(Guid uuid) => uuid == Guid.Empty ? null : new MachineId(uuid.ToString("N"));

    public static bool TryParse([NotNullWhen(true)] string? text, out MachineId id)
    {
        id = default;
        if (Problem(text) is not null)
        {
            return false;
        }

        id = new MachineId(text!);
        return true;
    }

    /// <summary>Parses <paramref name="text"/> exactly (no trimming); a <see cref="FormatException"/> names what is wrong.</summary>
    public static MachineId Parse(string? text) =>
        Problem(text) is { } problem ? throw new FormatException(problem) : new MachineId(text!);

    /// <summary>What keeps <paramref name="text"/> from being a machine ID, or null when it is one.</summary>
    public static string? Problem(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "The machine ID is empty; a machine ID is 32 lowercase hex characters.";
        }

        if (text == "uninitialized")
        {
            return "The machine ID is 'uninitialized': systemd writes that while first boot has not finished; it is not an id yet.";
        }

        if (text.Length != Length)
        {
            return $"'{Shorten(text)}' has {text.Length} characters; a machine ID has exactly {Length} (lowercase hex, no dashes).";
        }

        foreach (var c in text)
        {
            if (c is >= 'A' and <= 'F')
            {
                return $"'{text}' has uppercase hex; a machine ID is lowercase ('{text.ToLowerInvariant()}').";
            }

            if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
            {
                return $"'{Shorten(text)}' has '{c}', which is not a hex digit; a machine ID is 32 characters of 0-9 and a-f.";
            }
        }

        return text.All(c => c == '0') ? "The machine ID is all zeros, which means no id at all; generate one." : null;
    }

    public override string ToString() => _value ?? "";

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
