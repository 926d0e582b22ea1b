namespace VirtWeb.Data;

/// <summary>A small fact VirtWeb keeps about itself, such as "the default hosts were added once".</summary>
public sealed class SettingRecord
{
    public required string Key { get; set; }

    public required string Value { get; set; }
}
