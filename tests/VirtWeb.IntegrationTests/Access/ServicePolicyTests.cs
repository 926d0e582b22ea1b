using System.Reflection;
using Microsoft.AspNetCore.Components;
using VirtWeb.IntegrationTests.Images;

namespace VirtWeb.IntegrationTests.Access;

/// <summary>
/// Finds every public service method that acts for a user (its first parameter is the caller) and calls each directly
/// as a Viewer: each must be refused by the policy (an AccessDeniedException and a Denied audit row), and neither
/// libvirt nor the database may have changed. A new service is covered the day it is written.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class ServicePolicyTests(VirtWebFactory factory) : GuestTest(factory)
{
    // Not actions on objects: the policy itself, the trail it writes to, a user's own display preference.
    private static readonly HashSet<Type> s_notActions = [typeof(AccessControl), typeof(AuditLog), typeof(VirtWeb.Account.UserPreferences)];

    // What everyone may do to their own account: a Viewer makes API tokens for themselves (ApiTokenTests covers it).
    private static readonly HashSet<string> s_ownAccount = ["ApiTokenService.IssueAsync"];

    // Reads: a Viewer may see; visibility is tested with the grants.
    private static readonly string[] s_readPrefixes = ["List", "Read", "Search", "Get", "Find", "UserNames"];

    public static IEnumerable<object[]> MutatingMethods() =>
        typeof(Program).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false } && !typeof(ComponentBase).IsAssignableFrom(t) && !s_notActions.Contains(t))
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Where(m => m.GetParameters() is [{ ParameterType: var first }, ..] && first == typeof(ClaimsPrincipal))
            .Where(m => typeof(Task).IsAssignableFrom(m.ReturnType) && !s_readPrefixes.Any(p => m.Name.StartsWith(p, StringComparison.Ordinal)))
            .Where(m => !s_ownAccount.Contains($"{m.DeclaringType!.Name}.{m.Name}"))
            .OrderBy(m => m.DeclaringType!.Name).ThenBy(m => m.Name)
            .Select(m => new object[] { $"{m.DeclaringType!.Name}.{m.Name}" });

    [Fact]
    public void MutatingMethods_AreFound()
    {
        var names = MutatingMethods().Select(m => (string)m[0]).ToList();

        Assert.Contains("GuestService.RunAsync", names);
        Assert.Contains("VolumeService.DeleteVolumeAsync", names);
        Assert.Contains("VolumeTransfers.UploadAsync", names);
        Assert.Contains("PoolService.CreateDirectoryPoolAsync", names);
        Assert.Contains("GuestCreationService.CreateAsync", names);
        Assert.Contains("GuestCloningService.CloneAsync", names);
        Assert.Contains("MachineIdService.AssignAsync", names);
        Assert.Contains("HostService.RemoveAsync", names);
        Assert.Contains("HostService.TestConnectionAsync", names);
        Assert.Contains("UserDirectory.SetRoleAsync", names);
        Assert.Contains("GrantDirectory.SetAsync", names);
        Assert.Contains("SnapshotService.CreateAsync", names);
        Assert.Contains("SnapshotService.RevertAsync", names);
        Assert.Contains("SnapshotService.DeleteAsync", names);
        Assert.Contains("NetworkService.CreateAsync", names);
        Assert.Contains("NetworkService.DeleteAsync", names);
        Assert.Contains("ApiTokenService.RevokeAsync", names);
        Assert.Contains("NicService.AttachNicAsync", names);
        Assert.Contains("HostReadiness.MakeReadyAsync", names);
        Assert.Contains("ContainerCreationService.CreateAsync", names);
        Assert.Contains("TemplateService.MarkAsync", names);
        Assert.Contains("TemplateDeployService.DeployAsync", names);
    }

    [Theory]
    [MemberData(nameof(MutatingMethods))]
    public async Task MutatingMethod_CalledDirectlyByViewer_RefusedAndNothingChanged(string method)
    {
        var guestHost = await AddPrivateHostAsync();
        var storageHost = await AddPrivateHostAsync(StorageWorld.Write());
        var victim = await Factory.CreateUserAsync(VirtWebFactory.UniqueUserName("victim"), Roles.Operator);
        var viewerName = VirtWebFactory.UniqueUserName("reflect");
        var viewer = GuestWorld.Principal(Roles.Viewer, viewerName);
        var target = MutatingMethods().Select(m => (string)m[0]).Single(m => m == method);
        var info = typeof(Program).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == target && m.GetParameters() is [{ ParameterType: var p }, ..] && p == typeof(ClaimsPrincipal));
        var hostId = info.DeclaringType!.Namespace == typeof(VolumeService).Namespace ? storageHost : guestHost;
        var before = await SnapshotAsync(Factory, guestHost, storageHost, victim.Id);

        await using var scope = Factory.Services.CreateAsyncScope();
        var service = scope.ServiceProvider.GetService(info.DeclaringType!)
            ?? throw new InvalidOperationException($"{info.DeclaringType!.Name} is not registered; register it or teach this test to skip it.");
        var arguments = info.GetParameters().Select(p => Argument(p, viewer, hostId, victim)).ToArray();
        var refusal = await Assert.ThrowsAsync<AccessDeniedException>(async () => await (Task)info.Invoke(service, arguments)!);

        Assert.Contains(viewerName, refusal.Message);
        Assert.Equal(before, await SnapshotAsync(Factory, guestHost, storageHost, victim.Id));
        await using var db = await Service<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
        Assert.Single(await db.AuditLog.Where(r => r.UserName == viewerName && r.Outcome == AuditOutcome.Denied).ToListAsync());
    }

    /// <summary>A plausible value for each parameter, so that only the policy stands between the call and a change.</summary>
    private static object? Argument(ParameterInfo parameter, ClaimsPrincipal viewer, Guid hostId, ApplicationUser victim)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        return (type, parameter.Name) switch
        {
            _ when type == typeof(ClaimsPrincipal) => viewer,
            _ when type == typeof(CancellationToken) => CancellationToken.None,
            (_, "uuid") when type == typeof(Guid) => Guid.Parse(GuestWorld.ShutOffUuid),
            _ when type == typeof(Guid) => hostId,
            (_, "userId") => victim.Id,
            (_, "userName") => victim.UserName,
            (_, "role") when type == typeof(string) => Roles.Administrator,
            (_, "poolName") => "images",
            (_, "networkName") => "default",
            (_, "mac") => "52:54:00:aa:00:01",
            (_, "ip") => "192.168.122.10",
            (_, "path" or "sourcePath" or "backingPath") => "/images/base.qcow2",
            (_, "format") => "raw",
            (_, "confirmName") => "db",
            (_, "xml") => "<domain type='test'><name>db</name></domain>",
            _ when type == typeof(string) => "reflect-" + parameter.Name,
            _ when type == typeof(long) => 1L << 20,
            _ when type == typeof(int) => 1,
            _ when type == typeof(bool) => true,
            _ when type.IsEnum => Enum.GetValues(type).GetValue(0),
            _ when type == typeof(Stream) => new MemoryStream(new byte[4096]),
            _ when type == typeof(GuestCreateInput) => new GuestCreateInput(hostId, "reflect-new", Disk: GuestDiskChoice.None),
            _ when type == typeof(VirtWeb.Snapshots.SnapshotCreateInput) => new VirtWeb.Snapshots.SnapshotCreateInput("reflect-snap", null, VirtWeb.Snapshots.SnapshotKind.Internal, WithMemory: false),
            _ when type == typeof(VirtWeb.Networks.NicInput) => new VirtWeb.Networks.NicInput("default"),
            _ when type == typeof(VirtWeb.Networks.NetworkInput) => new VirtWeb.Networks.NetworkInput("reflect-net", VirtWeb.Libvirt.Xml.NetworkMode.Isolated, "10.99.0.1/24"),
            _ when type == typeof(HostInput) => new HostInput("reflect-host", "test:///default"),
            _ when type == typeof(VirtWeb.Containers.ContainerCreateInput) => new VirtWeb.Containers.ContainerCreateInput(hostId, "reflect-ct", VirtWeb.Containers.ContainerKind.Application, 64, "/bin/sh"),
            _ when type == typeof(VirtWeb.Templates.DeployRequest) => new VirtWeb.Templates.DeployRequest("reflect-deploy"),
            _ when parameter.HasDefaultValue => parameter.DefaultValue,
            _ => throw new InvalidOperationException($"Teach ServicePolicyTests to make a {type.Name} for '{parameter.Name}'."),
        };
    }

    /// <summary>What a refused call must leave as it was: guests, pools, volumes, hosts, accounts, roles and grants.</summary>
    internal static async Task<string> SnapshotAsync(VirtWebFactory factory, Guid guestHost, Guid storageHost, string victimId)
    {
        var store = factory.Services.GetRequiredService<LiveStateStore>();
        var hostConnections = factory.Services.GetRequiredService<IHostConnections>();
        var lines = new List<string>();
        foreach (var hostId in new[] { guestHost, storageHost })
        {
            var connection = hostConnections.GetConnection(hostId);
            lines.AddRange(connection.ListDomains().Select(d =>
            {
                using (d)
                {
                    return $"domain {d.Name} {d.GetState().State} autostart={d.Autostart} {d.GetXml()}";
                }
            }).Order(StringComparer.Ordinal));
            lines.AddRange(store.Pools.Current(p => p.HostId == hostId).Select(p => $"pool {p.Name} {p.State} autostart={p.Autostart}").Order(StringComparer.Ordinal));
            lines.AddRange(store.Volumes.Current(v => v.HostId == hostId).Select(v => $"volume {v.Path} {v.CapacityBytes}").Order(StringComparer.Ordinal));
            lines.AddRange(connection.ListNetworks().Select(n =>
            {
                using (n)
                {
                    return $"network {n.Name} {n.IsActive} {n.GetXml()}";
                }
            }).Order(StringComparer.Ordinal));
        }

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync();
        lines.Add($"hosts {await db.Hosts.CountAsync()} users {await db.Users.CountAsync()} grants {await db.AccessGrants.CountAsync()}");
        var victim = await db.Users.AsNoTracking().SingleAsync(u => u.Id == victimId);
        lines.Add($"victim {victim.IsDisabled} {victim.PasswordHash} {victim.LockoutEnd} roles {string.Join(",", await db.UserRoles.Where(r => r.UserId == victimId).Select(r => r.RoleId).ToListAsync())}");
        return string.Join("\n", lines);
    }
}
