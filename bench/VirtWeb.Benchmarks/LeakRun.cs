using VirtWeb.Libvirt;

namespace VirtWeb.Benchmarks;

/// <summary>The workloads of the leak check, shared by the test that asserts flatness and the bench that reports it.</summary>
public static class LeakRun
{
    public const string Uri = "test:///default";

    public static void OpenClose(int cycles)
    {
        for (var i = 0; i < cycles; i++)
        {
            using var connection = LibvirtConnection.Open(Uri);
            _ = connection.Hostname;
        }
    }

    public static void ListDomains(LibvirtConnection connection, int listings)
    {
        for (var i = 0; i < listings; i++)
        {
            foreach (var domain in connection.ListDomains())
            {
                using (domain)
                {
                    _ = domain.Name;
                    _ = domain.GetState();
                }
            }
        }
    }
}
