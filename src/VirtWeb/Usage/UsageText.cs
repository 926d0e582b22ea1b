using System.Globalization;
using System.Text;

namespace VirtWeb.Usage;

/// <summary>How the guest list writes a guest's usage: numbers only where libvirt gave one, never a made-up zero.</summary>
public static class UsageText
{
    public const string NotReported = "not reported";

    /// <summary>What a usage number reads when the server does not sample (Usage:Enabled is false).</summary>
    public const string SamplingOff = "sampling off";

    /// <summary>"37 %", or empty while there is no number (not running, the first round).</summary>
    public static string Cpu(GuestUsage? usage) => usage?.CpuPercent is { } cpu ? $"{cpu:0} %" : "";

    /// <summary>Used memory and its share, "not reported" when the guest's balloon driver gives none; empty when not running.</summary>
    public static string Memory(GuestUsage? usage) => usage switch
    {
        null => "",
        { MemoryUsedKiB: { } used, MemoryPercent: { } percent } => $"{Guests.GuestText.Memory(used)} ({percent:0} %)",
        { MemoryUsedKiB: { } used } => Guests.GuestText.Memory(used),
        _ => NotReported,
    };

    /// <summary>
    /// An SVG polyline's points for a trail of CPU % (0–100) in a <paramref name="width"/> × <paramref name="height"/>
    /// box: one polyline per run of known values, so a missing round is a gap, not a drop to zero.
    /// </summary>
    public static IReadOnlyList<string> Sparkline(IReadOnlyList<float> trail, int width, int height)
    {
        var lines = new List<string>();
        if (trail.Count == 0)
        {
            return lines;
        }

        var step = (double)width / Math.Max(1, UsageLive.TrailLength - 1);
        var offset = UsageLive.TrailLength - trail.Count; // right-aligned: the newest point at the right edge
        var line = new StringBuilder();
        for (var i = 0; i < trail.Count; i++)
        {
            if (float.IsNaN(trail[i]))
            {
                Flush();
                continue;
            }

            var x = (offset + i) * step;
            var y = height - Math.Clamp(trail[i], 0, 100) / 100.0 * height;
            line.Append(line.Length == 0 ? "" : " ").Append(x.ToString("0.#", CultureInfo.InvariantCulture)).Append(',')
                .Append(y.ToString("0.#", CultureInfo.InvariantCulture));
        }

        Flush();
        return lines;

        void Flush()
        {
            if (line.Length > 0)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
        }
    }
}
