using System.Net.Sockets;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using VirtWeb.Degraded;

namespace VirtWeb.IntegrationTests.Degraded;

public sealed class DatabaseHealthTests
{
    [Fact]
    public async Task Probe_DatabaseSilent_DownOnlyAfterTimeoutsInARow()
    {
        // A socket that accepts and never answers: what a hung PostgreSQL, or one too loaded to reply, looks like.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        var acceptLoop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await silent.AcceptSocketAsync());
                }
            }
            catch (SocketException)
            {
            }
            catch (ObjectDisposedException)
            {
            }
        });
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var options = new DbContextOptionsBuilder<VirtWebDbContext>()
            .UseNpgsql($"Host=127.0.0.1;Port={port};Database=none;Username=none;Password=none;Timeout=10;Pooling=false")
            .Options;
        var health = new DatabaseHealth(new PooledDbContextFactory<VirtWebDbContext>(options), TimeProvider.System, NullLogger<DatabaseHealth>.Instance);

        for (var probe = 1; probe < DatabaseHealth.TimeoutsBeforeOutage; probe++)
        {
            await health.ProbeAsync(CancellationToken.None);
            Assert.True(health.IsReachable, $"probe {probe} of a silent database already reads it as down");
        }

        await health.ProbeAsync(CancellationToken.None);
        var outage = Assert.IsType<DatabaseOutage>(health.Outage);
        Assert.Contains("did not answer", outage.Reason, StringComparison.Ordinal);

        silent.Stop();
        await acceptLoop;
        accepted.ForEach(s => s.Dispose());
    }

    [Fact]
    public async Task Probe_ConnectionRefused_DownAtOnce()
    {
        // A port nothing listens on: bind one, note it, and close it again.
        int port;
        using (var taken = new TcpListener(IPAddress.Loopback, 0))
        {
            taken.Start();
            port = ((IPEndPoint)taken.LocalEndpoint).Port;
        }

        var options = new DbContextOptionsBuilder<VirtWebDbContext>()
            .UseNpgsql($"Host=127.0.0.1;Port={port};Database=none;Username=none;Password=none;Pooling=false")
            .Options;
        var health = new DatabaseHealth(new PooledDbContextFactory<VirtWebDbContext>(options), TimeProvider.System, NullLogger<DatabaseHealth>.Instance);

        await health.ProbeAsync(CancellationToken.None);

        Assert.False(health.IsReachable);
    }
}
