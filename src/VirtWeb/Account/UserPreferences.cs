namespace VirtWeb.Account;

/// <summary>Per-user settings kept with the account, so they follow the user to any browser.</summary>
public sealed class UserPreferences(IDbContextFactory<VirtWebDbContext> dbFactory)
{
    public async Task<bool?> GetDarkModeAsync(ClaimsPrincipal user, CancellationToken cancellationToken = default)
    {
        if (UserId(user) is not { } id)
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Id == id).Select(u => u.PrefersDarkMode).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task SetDarkModeAsync(ClaimsPrincipal user, bool darkMode, CancellationToken cancellationToken = default)
    {
        var id = UserId(user) ?? throw new InvalidOperationException("Sign in to keep a colour scheme.");
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await db.Users.Where(u => u.Id == id)
            .ExecuteUpdateAsync(set => set.SetProperty(u => u.PrefersDarkMode, darkMode), cancellationToken);
    }

    private static string? UserId(ClaimsPrincipal user) =>
        user.Identity?.IsAuthenticated == true ? user.FindFirstValue(ClaimTypes.NameIdentifier) : null;
}
