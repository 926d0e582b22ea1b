using System.Security.Cryptography;

namespace VirtWeb.Api.Tokens;

/// <summary>
/// A random id this installation makes once and keeps in its database. Every API token names it, and its hash covers
/// it, so a token from another VirtWeb installation is refused whatever else it holds.
/// </summary>
public sealed class InstallationIdentity(IDbContextFactory<VirtWebDbContext> dbFactory)
{
    public const string SettingKey = "installation-id";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _id;

    public async Task<string> IdAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _id) is { } known)
        {
            return known;
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_id is not null)
            {
                return _id;
            }

            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            // Several instances share one database: the first to insert wins, and everyone reads the row back.
            var candidate = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"""INSERT INTO "Settings" ("Key", "Value") VALUES ({SettingKey}, {candidate}) ON CONFLICT ("Key") DO NOTHING""", cancellationToken);
            _id = await db.Settings.AsNoTracking().Where(s => s.Key == SettingKey).Select(s => s.Value).SingleAsync(cancellationToken);
            return _id;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The short tag tokens carry in the clear: enough to tell installations apart, not the id itself.</summary>
    public static string TagOf(string installationId) =>
        Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(installationId)))[..8];
}
