using System.Security.Cryptography;
using System.Text;
using Prometheus;
using VirtWeb.Api.Tokens;
using VirtWeb.Live;

namespace VirtWeb.Usage;

/// <summary>The <c>Usage:</c> section of the configuration.</summary>
public sealed class UsageOptions
{
    /// <summary>
    /// Whether the app samples its hosts at all (Usage:Enabled, on by default). Off, no sampler runs: the guest list, the
    /// charts and <c>/metrics</c> say that sampling is off instead of showing numbers, and the history keeps what it has
    /// (rolled up and pruned as before). The bench turns it off to measure what sampling costs the event path.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// A bearer credential a Prometheus server scrapes <c>/metrics</c> with, seeing every host and guest (Usage:ScrapeToken;
    /// at least 32 characters). Without it, <c>/metrics</c> answers API tokens and signed-in users under their grants.
    /// </summary>
    public string? ScrapeToken { get; set; }
}

/// <summary>
/// <c>/metrics</c> in the Prometheus text format (prometheus-net writes it): the latest usage of every guest and host the
/// caller may see, labelled with host, guest name and UUID. Never anonymous. The registry is made per request, because
/// what a caller sees depends on their grants.
/// </summary>
public static class UsageMetrics
{
    public const string Path = "/metrics";

    private static readonly string[] GuestLabels = ["host", "guest", "uuid"];
    private static readonly string[] HostLabels = ["host"];

    public static IEndpointRouteBuilder MapUsage(this IEndpointRouteBuilder app)
    {
        // Authentication is the endpoint's own (a token is read only under /api elsewhere): a 401, never the sign-in page.
        app.MapGet(Path, ServeAsync).AllowAnonymous();
        return app;
    }

    private static async Task ServeAsync(HttpContext context, ApiTokenValidator tokens, AccessControl access, LiveStateStore store, UsageLive live, Microsoft.Extensions.Options.IOptions<UsageOptions> options)
    {
        Func<string, bool> mayView;
        if (context.Request.Headers.Authorization is [{ } header, ..] && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var secret = header["Bearer ".Length..].Trim();
            if (IsScrapeToken(secret, options.Value.ScrapeToken))
            {
                mayView = _ => true;
            }
            else if ((await tokens.ValidateAsync(secret, context.Connection.RemoteIpAddress?.ToString(), context.RequestAborted)).Principal is { } principal)
            {
                mayView = path => access.Allows(principal, path, Permission.View);
            }
            else
            {
                await RefuseAsync(context, "The bearer credential is not a valid API token or the configured scrape token.");
                return;
            }
        }
        else if (context.User.Identity?.IsAuthenticated == true)
        {
            var user = context.User;
            mayView = path => access.Allows(user, path, Permission.View);
        }
        else
        {
            await RefuseAsync(context, "Send an API token or the scrape token as 'Authorization: Bearer ...'.");
            return;
        }

        var registry = Metrics.NewCustomRegistry();
        Write(Metrics.WithCustomRegistry(registry), store, live, mayView, options.Value.Enabled);
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }

    internal static void Write(IMetricFactory factory, LiveStateStore store, UsageLive live, Func<string, bool> mayView, bool samplingEnabled)
    {
        // Without sampling there are no series below; this says why, so an empty scrape is not taken for idle guests.
        factory.CreateGauge("virtweb_usage_sampling_enabled", "1 when the server samples its hosts (Usage:Enabled), 0 when it does not")
            .Set(samplingEnabled ? 1 : 0);
        var hostNames = store.Hosts.Current().ToDictionary(h => h.HostId, h => h.Name);
        var guests = new (string Name, string Help, Func<GuestUsage, double?> Value)[]
        {
            ("virtweb_guest_cpu_percent", "CPU use in % of the guest's vCPUs", u => u.CpuPercent),
            ("virtweb_guest_host_cpu_percent", "CPU use in % of the host's CPUs", u => u.HostCpuPercent),
            ("virtweb_guest_memory_used_bytes", "Memory the guest reports in use (balloon driver); absent when not reported", u => u.MemoryUsedKiB * 1024.0),
            ("virtweb_guest_memory_bytes", "Memory the guest has", u => u.MemoryTotalKiB * 1024.0),
            ("virtweb_guest_disk_read_bytes_per_second", "Disk reads, bytes per second", u => u.DiskReadBytesPerSecond),
            ("virtweb_guest_disk_write_bytes_per_second", "Disk writes, bytes per second", u => u.DiskWriteBytesPerSecond),
            ("virtweb_guest_disk_read_ops_per_second", "Disk read operations per second", u => u.DiskReadOpsPerSecond),
            ("virtweb_guest_disk_write_ops_per_second", "Disk write operations per second", u => u.DiskWriteOpsPerSecond),
            ("virtweb_guest_network_receive_bytes_per_second", "Network received, bytes per second", u => u.NetRxBytesPerSecond),
            ("virtweb_guest_network_transmit_bytes_per_second", "Network sent, bytes per second", u => u.NetTxBytesPerSecond),
        };
        var visible = live.Guests.Current(u => mayView(u.AccessPath));
        foreach (var (name, help, value) in guests)
        {
            var gauge = factory.CreateGauge(name, help, GuestLabels);
            foreach (var usage in visible)
            {
                if (value(usage) is { } v)
                {
                    gauge.WithLabels(hostNames.GetValueOrDefault(usage.HostId, usage.HostId.ToString()), usage.Name, usage.Uuid.ToString()).Set(v);
                }
            }
        }

        var hosts = new (string Name, string Help, Func<HostUsage, double?> Value)[]
        {
            ("virtweb_host_cpu_percent", "The host's CPU use in %", u => u.CpuPercent),
            ("virtweb_host_memory_used_bytes", "The host's memory in use (not free, buffers or cache)", u => u.MemoryUsedKiB * 1024.0),
            ("virtweb_host_memory_bytes", "The host's memory", u => u.MemoryTotalKiB * 1024.0),
        };
        var visibleHosts = live.Hosts.Current(h => mayView(h.AccessPath));
        foreach (var (name, help, value) in hosts)
        {
            var gauge = factory.CreateGauge(name, help, HostLabels);
            foreach (var host in visibleHosts)
            {
                if (value(host.Usage) is { } v)
                {
                    gauge.WithLabels(hostNames.GetValueOrDefault(host.HostId, host.HostId.ToString())).Set(v);
                }
            }
        }
    }

    private static bool IsScrapeToken(string secret, string? configured) =>
        configured is { Length: >= 32 }
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(secret)), SHA256.HashData(Encoding.UTF8.GetBytes(configured)));

    private static async Task RefuseAsync(HttpContext context, string message)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await context.Response.WriteAsync(message + "\n", context.RequestAborted);
    }
}
