namespace VirtWeb.Consoles;

/// <summary>The guest's screen over VNC, or its first serial port as a text terminal.</summary>
public enum ConsoleKind
{
    Graphics,
    Serial,
}

public static class ConsoleKinds
{
    public static string Name(ConsoleKind kind) => kind == ConsoleKind.Graphics ? "graphics" : "serial";

    public static bool TryParse(string? value, out ConsoleKind kind)
    {
        switch (value)
        {
            case "graphics":
                kind = ConsoleKind.Graphics;
                return true;
            case "serial":
                kind = ConsoleKind.Serial;
                return true;
            default:
                kind = default;
                return false;
        }
    }
}
