using System.Net.Sockets;
using Npgsql;

namespace VirtWeb.Degraded;

/// <summary>
/// The one place that knows whether PostgreSQL answers. A probe asks every <see cref="ProbeInterval"/> (one
/// <c>SELECT 1</c>, never a query per render), and any part that meets an unreachable database reports it at once with
/// <see cref="ReportFailure"/>. Pages show a banner from it, every audited action is refused while it reads down (an
/// action that cannot be written to the audit trail is not done), and sign-in says it cannot check accounts. It starts
/// as reachable: the app does not start without its database.
/// </summary>
public sealed class DatabaseHealth(IDbContextFactory<VirtWebDbContext> dbFactory, TimeProvider timeProvider, ILogger<DatabaseHealth> logger)
{
    /// <summary>How often the probe asks; also how soon the banner goes after PostgreSQL is back.</summary>
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(2);

    /// <summary>How long one probe may wait: a PostgreSQL that hangs reads as down, not as a page that hangs.</summary>
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How many probes in a row must time out before silence reads as an outage. One slow answer on a loaded machine
    /// (a burst of guest boots on two cores) is no outage, and refusing every action for it would be; a refused
    /// connection or a server shutting down still reads as down at once.
    /// </summary>
    public const int TimeoutsBeforeOutage = 2;

    public const string Consequence =
        "Hosts, guests, pools and networks stay live from libvirt, but every action (power, create, delete, settings), " +
        "sign-in, users, grants and the audit trail wait until it is back.";

    private DatabaseOutage? _outage;
    private int _timeoutsInRow;
    private Task? _pending;

    /// <summary>Raised when the database goes down or comes back; handlers must not block.</summary>
    public event Action? Changed;

    public bool IsReachable => Outage is null;

    /// <summary>Since when and why the database cannot be reached; null while it can.</summary>
    public DatabaseOutage? Outage => Volatile.Read(ref _outage);

    /// <summary>The reason an audited action is refused while the database is down; null while it is up.</summary>
    public string? Refusal(string description) => Outage is { } outage
        ? $"VirtWeb cannot reach its database (since {outage.Since:HH:mm:ss} UTC), so it cannot write the audit trail and does not {description} now. " +
          "Nothing was changed. Try again when the database is back; the banner goes away by itself."
        : null;

    /// <summary>Whether <paramref name="e"/> (or what it wraps) says the database cannot be reached.</summary>
    /// <remarks>The server's refusal of one statement (a unique key, a constraint) is no outage; its shutdown and connection classes are.</remarks>
    public static bool IsUnreachable(Exception e) => e switch
    {
        PostgresException p => p.SqlState.StartsWith("08", StringComparison.Ordinal) || p.SqlState.StartsWith("57P", StringComparison.Ordinal) ||
                               p.SqlState.StartsWith("53", StringComparison.Ordinal),
        NpgsqlException or SocketException or TimeoutException => true,
        _ => e.InnerException is { } inner && IsUnreachable(inner),
    };

    /// <summary>A part met an unreachable database: the banner shows at once, not at the next probe.</summary>
    public void ReportFailure(Exception e)
    {
        var outage = new DatabaseOutage(timeProvider.GetUtcNow(), DatabaseStartup.Innermost(e).Message);
        if (IsUnreachable(e) && Interlocked.CompareExchange(ref _outage, outage, null) is null)
        {
            logger.LogError(e, "PostgreSQL cannot be reached; actions and sign-in are refused until it answers again.");
            Changed?.Invoke();
        }
    }

    /// <summary>Asks PostgreSQL once and updates the state; returns within <see cref="ProbeTimeout"/>.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        // Npgsql does not honour cancellation while it waits for the server's answer to its startup message, so a
        // server that accepts and stays silent would hold the probe for the connection's whole Timeout (15 s by
        // default). The probe stops waiting on its own clock instead; a query still pending from an earlier probe counts
        // as one more silent probe rather than a second connection piling up behind it.
        if (_pending is { IsCompleted: false })
        {
            CountSilentProbe();
            return;
        }

        _ = _pending?.Exception; // an abandoned query's late failure is observed here, not reported as unobserved

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ProbeTimeout);
        var query = SelectOneAsync(timeout.Token);
        _pending = query;
        try
        {
            await query.WaitAsync(ProbeTimeout, cancellationToken);
            Volatile.Write(ref _timeoutsInRow, 0);
            if (Interlocked.Exchange(ref _outage, null) is { } was)
            {
                logger.LogInformation("PostgreSQL answers again after {Seconds:F0} s.", (timeProvider.GetUtcNow() - was.Since).TotalSeconds);
                Changed?.Invoke();
            }
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested && !query.IsFaulted)
        {
            CountSilentProbe();
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            ReportFailure(e);
        }
    }

    private async Task SelectOneAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("SELECT 1", cancellationToken);
    }

    private void CountSilentProbe()
    {
        if (Interlocked.Increment(ref _timeoutsInRow) >= TimeoutsBeforeOutage)
        {
            ReportFailure(new TimeoutException($"PostgreSQL did not answer {TimeoutsBeforeOutage} probes in a row within {ProbeTimeout.TotalSeconds:F0} s each."));
        }
    }
}

public sealed record DatabaseOutage(DateTimeOffset Since, string Reason);

/// <summary>Runs the probe for the process lifetime.</summary>
internal sealed class DatabaseHealthProbe(DatabaseHealth health, TimeProvider timeProvider) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(DatabaseHealth.ProbeInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await health.ProbeAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
