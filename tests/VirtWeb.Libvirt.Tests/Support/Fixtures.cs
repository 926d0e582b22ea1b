namespace VirtWeb.Libvirt.Tests.Support;

internal static class Fixtures
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Read(string name) => File.ReadAllText(PathOf(name));

    /// <summary>
    /// A private test-driver world: every open of test:///&lt;file&gt; gets a fresh copy of it, unlike
    /// test:///default whose state is shared by the whole process.
    /// </summary>
    public static LibvirtConnection OpenWorld(string file = "test-world.xml") => LibvirtConnection.Open(WorldUri(file));

    public static string WorldUri(string file = "test-world.xml") => "test://" + PathOf(file);
}
