namespace VirtWeb.Consoles;

public sealed class ConsoleOptions
{
    public const string SectionName = "Consoles";

    /// <summary>How long a ticket may wait for its websocket; longer values are cut to 30 s.</summary>
    public TimeSpan TicketLifetime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often an open console re-checks that its user may still use it. Below the 60 s promise with room for a
    /// slow database: a user who lost the right is cut off within this interval plus one check.
    /// </summary>
    public TimeSpan RecheckInterval { get; set; } = TimeSpan.FromSeconds(20);
}
