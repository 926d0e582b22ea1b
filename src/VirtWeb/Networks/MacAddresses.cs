using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace VirtWeb.Networks;

/// <summary>MAC addresses as VirtWeb writes them: six lowercase hex pairs with colons.</summary>
public static partial class MacAddresses
{
    /// <summary>QEMU/KVM's locally administered prefix, as libvirt generates.</summary>
    public const string QemuPrefix = "52:54:00";

    public static string? Problem(string? mac)
    {
        if (string.IsNullOrWhiteSpace(mac) || !Shape().IsMatch(mac.Trim()))
        {
            return $"'{Shorten(mac)}' is not a MAC address; write six hex pairs with colons, for example 52:54:00:12:34:56.";
        }

        var first = Convert.ToByte(mac.Trim()[..2], 16);
        if ((first & 1) == 1)
        {
            return $"{mac.Trim()} is a multicast address (its first byte is odd); a network card needs a unicast one, for example 52:54:00:12:34:56.";
        }

        return null;
    }

    public static string Require(string? mac) =>
        Problem(mac) is { } problem ? throw new NetworkException(problem) : mac!.Trim().ToLowerInvariant();

    /// <summary>A random 52:54:00:xx:xx:xx not in <paramref name="taken"/>.</summary>
    public static string Generate(IReadOnlySet<string> taken)
    {
        while (true)
        {
            var bytes = RandomNumberGenerator.GetBytes(3);
            var mac = $"{QemuPrefix}:{bytes[0]:x2}:{bytes[1]:x2}:{bytes[2]:x2}";
            if (!taken.Contains(mac))
            {
                return mac;
            }
        }
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length > 40 ? text[..40] + "…" : text.Replace("\0", "\\0", StringComparison.Ordinal);

    [GeneratedRegex("^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")]
    private static partial Regex Shape();
}
