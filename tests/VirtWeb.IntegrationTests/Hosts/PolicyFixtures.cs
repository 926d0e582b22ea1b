namespace VirtWeb.IntegrationTests.Hosts;

/// <summary>
/// A program an attacker would name in a URI: it only creates its marker file, so a test can tell that it never ran.
/// </summary>
public sealed class MarkerProgram : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("virtweb-marker-");

    public MarkerProgram()
    {
        Program = Path.Combine(_directory.FullName, "marker.sh");
        Marker = Path.Combine(_directory.FullName, "ran");
        File.WriteAllText(Program, $"#!/bin/sh\ntouch '{Marker}'\n");
        // Executable, so that nothing but the policy keeps libvirt from running it.
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Program, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Program { get; }

    public string Marker { get; }

    public bool Ran => File.Exists(Marker);

    public void Dispose() => _directory.Delete(recursive: true);
}

/// <summary>What the URI policy tests share: the service, the store, the trail, and the secret nothing may show.</summary>
public static class PolicyChecks
{
    /// <summary>The first line of /etc/shadow: libvirt's test driver quoted it in its parse error before the policy.</summary>
    public static string ShadowFirstLine { get; } = File.ReadLines("/etc/shadow").First();

    public static Task<T> WithHostsAsync<T>(this VirtWebFactory factory, Func<HostService, Task<T>> action) =>
        factory.WithScopeAsync(services => action(services.GetRequiredService<HostService>()));

    public static Task<List<AuditRecord>> AuditOfAsync(this VirtWebFactory factory, string userName) =>
        factory.WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            return await db.AuditLog.AsNoTracking().Where(r => r.UserName == userName).OrderBy(r => r.Id).ToListAsync();
        });

    /// <summary>Everything a user could read: the given responses, every audit row and every host's live state.</summary>
    public static async Task AssertNothingOfShadowAsync(this VirtWebFactory factory, IEnumerable<string?> responses)
    {
        var audit = await factory.WithScopeAsync(async services =>
        {
            await using var db = await services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
            return await db.AuditLog.AsNoTracking().Select(r => r.Target + " " + r.Detail).ToListAsync();
        });
        var states = factory.Services.GetRequiredService<LiveStateStore>().Hosts.Current().Select(h => $"{h.Uri} {h.Reason}");
        Assert.All(responses.Concat(audit).Concat(states), text => Assert.DoesNotContain(ShadowFirstLine, text ?? "", StringComparison.Ordinal));
    }

    public static ClaimsPrincipal Administrator(string name) => TestPrincipals.Of(name, VirtWeb.Access.Roles.Administrator);
}
