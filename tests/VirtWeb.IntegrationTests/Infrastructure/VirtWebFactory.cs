using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>The real app on a fresh PostgreSQL database; pass <c>useKestrel</c> for a browser to reach it.</summary>
public class VirtWebFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminUserName = "admin";
    public const string AdminPassword = "Admin-Passw0rd!";
    public const string UserPassword = "User-Passw0rd!";

    private readonly bool _useKestrel;

    public VirtWebFactory() : this(useKestrel: false)
    {
    }

    protected VirtWebFactory(bool useKestrel)
    {
        _useKestrel = useKestrel;
        if (useKestrel)
        {
            UseKestrel(0);
        }
    }

    public string ConnectionString { get; } = TestPostgres.NewDatabaseConnectionString();

    /// <summary>The address a browser uses; only with Kestrel.</summary>
    public Uri ServerAddress =>
        new(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting(DataExtensions.ConnectionStringKey, ConnectionString);
        builder.UseSetting("Bootstrap:AdminUserName", AdminUserName);
        builder.UseSetting("Bootstrap:AdminPassword", AdminPassword);
        builder.UseSetting("Urls", "http://127.0.0.1:0");
        // Each app under test would otherwise hold its own connection to the machine's libvirtd; the tests that
        // need qemu:///system add it themselves.
        builder.UseSetting("Hosts:AddLocalQemu", "false");
        builder.UseSetting("Hosts:AddLocalLxc", "false");
        // Tests that need a world of their own write it here (TestWorlds); the URI policy refuses files elsewhere.
        builder.UseSetting("Hosts:TestDriverDirectory", TestWorlds.Directory);
        // Tests sign Administrators in with a password alone; HardenedSignInTests covers the two-factor requirement.
        builder.UseSetting("Access:RequireTwoFactorForAdministrators", "false");
    }

    protected override IHost CreateHost(IHostBuilder builder)
    {
        // The factory's UseKestrel registers Kestrel's own memory pool after every service of the app and the tests, where
        // deployed the app's comes last (LargeBlockMemoryPoolTests); without this, uploads here would arrive in 4 KiB reads.
        builder.ConfigureServices(services =>
            services.Replace(ServiceDescriptor.Singleton<IMemoryPoolFactory<byte>, LargeBlockMemoryPoolFactory>()));
        return base.CreateHost(builder);
    }

    public Task InitializeAsync()
    {
        if (_useKestrel)
        {
            StartServer();
        }
        else
        {
            _ = Server;
        }

        return Task.CompletedTask;
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await TestPostgres.DropDatabaseAsync(ConnectionString);
    }

    public async Task<ApplicationUser> CreateUserAsync(string userName, params string[] roles)
    {
        await using var scope = Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
        var user = new ApplicationUser { UserName = userName };
        Check(await users.CreateAsync(user, UserPassword));
        foreach (var role in roles)
        {
            Check(await users.AddToRoleAsync(user, role));
        }

        return user;
    }

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> action)
    {
        await using var scope = Services.CreateAsyncScope();
        return await action(scope.ServiceProvider);
    }

    public static string UniqueUserName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static void Check(IdentityResult result)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(string.Join(" ", result.Errors.Select(e => e.Description)));
        }
    }
}

/// <summary>The app on a real Kestrel port, for Playwright.</summary>
public sealed class KestrelVirtWebFactory() : VirtWebFactory(useKestrel: true);

/// <summary>The app as deployed behind HTTPS with its defaults: two-factor required for Administrators, <c>__Host-</c> cookies.</summary>
public sealed class HardenedVirtWebFactory : VirtWebFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Access:RequireTwoFactorForAdministrators", "true");
        builder.UseSetting("Access:HttpsOnly", "true");
    }
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<VirtWebFactory>
{
    public const string Name = "VirtWeb app";
}
