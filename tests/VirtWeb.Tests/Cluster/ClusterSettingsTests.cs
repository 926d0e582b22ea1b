using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using VirtWeb.Cluster;
using VirtWeb.Data;
using VirtWeb.Libvirt;

namespace VirtWeb.Tests.Cluster;

public sealed class ClusterSettingsTests
{
    // Nothing connects to it: these tests only build the services.
    private const string UnusedRedis = "127.0.0.1:1";

    private static HostApplicationBuilder Builder(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(
            settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))
                .Append(new(DataExtensions.ConnectionStringKey, "Host=localhost;Database=virtweb_cluster_settings")));
        return builder;
    }

    [Fact]
    public void AddCluster_NoSettings_EveryHostOwnedLocallyAndNoLeaseServices()
    {
        var builder = Builder();

        builder.AddCluster();

        using var services = builder.Services.BuildServiceProvider();
        var ownership = services.GetRequiredService<IHostOwnership>();
        Assert.IsType<LocalOwnership>(ownership);
        Assert.False(ownership.IsClustered);
        Assert.True(ownership.Owns(Guid.NewGuid()));
        Assert.Null(services.GetService<HostLeases>());
        Assert.Null(services.GetService<LeaseOwnership>());
    }

    [Fact]
    public async Task AddCluster_Enabled_OwnershipByLease()
    {
        var builder = Builder(("Cluster:Enabled", "true"), ("Cluster:InstanceId", "vwc-settings"), ("Cluster:Redis", UnusedRedis));
        builder.Services.AddClusterServices();
        builder.Services.AddSingleton(TimeProvider.System);

        builder.AddCluster();

        // The lease data source is disposed asynchronously, as the app's host does.
        await using var services = builder.Services.BuildServiceProvider();
        var ownership = services.GetRequiredService<IHostOwnership>();
        Assert.IsType<LeaseOwnership>(ownership);
        Assert.Equal("vwc-settings", ownership.InstanceId);
        Assert.False(ownership.Owns(Guid.NewGuid()));
    }

    [Fact]
    public void AddCluster_EnabledWithoutRedis_RefusesToStartNamingIt()
    {
        var builder = Builder(("Cluster:Enabled", "true"));

        var refused = Assert.Throws<StartupValidationException>(() => builder.AddCluster());

        Assert.Contains("Cluster:Redis is not set", refused.Message);
    }

    [Fact]
    public void AddCluster_NoSettings_NothingToTellOnTheBus()
    {
        var builder = Builder();

        builder.AddCluster();

        using var services = builder.Services.BuildServiceProvider();
        Assert.IsType<LocalBus>(services.GetRequiredService<IClusterBus>());
    }

    [Theory]
    [InlineData("Cluster:LeaseDuration", "00:00:04", "Cluster:LeaseDuration")]
    [InlineData("Cluster:RenewInterval", "00:00:00", "Cluster:RenewInterval must be positive")]
    [InlineData("Cluster:StatementTimeout", "00:00:00.2", "Cluster:StatementTimeout at least 1 s")]
    [InlineData("Cluster:InstanceId", "a\u0001b", "Cluster:InstanceId must be 1 to 128 printable characters")]
    [InlineData("Cluster:Redis", "127.0.0.1:6379,nosuchoption=1", "Cluster:Redis is not a Redis connection string")]
    [InlineData("Cluster:RedisPrefix", "two words", "Cluster:RedisPrefix must be a non-empty word")]
    public void AddCluster_BadSetting_RefusesToStartNamingIt(string key, string value, string expected)
    {
        var builder = key == "Cluster:Redis"
            ? Builder(("Cluster:Enabled", "true"), (key, value))
            : Builder(("Cluster:Enabled", "true"), ("Cluster:Redis", UnusedRedis), (key, value));

        var refused = Assert.Throws<StartupValidationException>(() => builder.AddCluster());

        Assert.Contains(expected, refused.Message);
    }

    [Fact]
    public void AddCluster_BadSettingWhileDisabled_Ignored()
    {
        var builder = Builder(("Cluster:LeaseDuration", "00:00:01"));

        builder.AddCluster();

        using var services = builder.Services.BuildServiceProvider();
        Assert.IsType<LocalOwnership>(services.GetRequiredService<IHostOwnership>());
    }

    [Fact]
    public void RaiseSequenceFloor_AboveAndBelow_OnlyEverRises()
    {
        var loop = LibvirtEventLoop.Instance;
        var floor = loop.CurrentSequence + 1_000;

        loop.RaiseSequenceFloor(floor);
        var afterRaise = loop.NextSequence();
        loop.RaiseSequenceFloor(floor - 500);
        var afterLowerFloor = loop.NextSequence();

        Assert.True(afterRaise > floor);
        Assert.True(afterLowerFloor > afterRaise);
    }
}
