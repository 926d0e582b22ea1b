namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>
/// The one directory of this test process whose files the app under test may open as test-driver worlds: every
/// factory names it as <c>Hosts:TestDriverDirectory</c>, so a world written elsewhere is refused by the URI policy.
/// </summary>
public static class TestWorlds
{
    private static readonly Lazy<string> s_directory = new(() =>
    {
        var directory = System.IO.Directory.CreateTempSubdirectory($"virtweb-worlds-{Environment.ProcessId}-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // A world still open by a late test host; the temp directory is the system's to clean.
            }
        };
        return directory;
    });

    public static string Directory => s_directory.Value;

    /// <summary>A fresh file name inside <see cref="Directory"/>.</summary>
    public static string NewPath(string prefix, string extension = ".xml") =>
        Path.Combine(Directory, $"{prefix}-{Guid.NewGuid():N}{extension}");

    /// <summary>Writes <paramref name="xml"/> to a fresh world file and returns its path.</summary>
    public static string Write(string prefix, string xml)
    {
        var path = NewPath(prefix);
        File.WriteAllText(path, xml);
        return path;
    }
}
