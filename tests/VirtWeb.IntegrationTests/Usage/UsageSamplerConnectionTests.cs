using VirtWeb.IntegrationTests.Guests;
using VirtWeb.Usage;

namespace VirtWeb.IntegrationTests.Usage;

/// <summary>
/// The sampler asks libvirt on a connection of its own: a round over the host's guests makes no call on the
/// supervisor's event connection, and the sampler's connection ends with the host's.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class UsageSamplerConnectionTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    protected override TimeSpan Deadline => TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SamplingRound_PrivateHost_MakesNoCallOnTheSupervisorsConnection()
    {
        var uuids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid()).ToList();
        var world = GuestWorld.Write([.. uuids.Select((uuid, i) => ($"vwuse-own-{i}", uuid.ToString(), true))]);
        try
        {
            var hostId = await GuestWorld.AddPrivateHostAsync(Factory, world);
            try
            {
                var live = Service<UsageLive>();
                var first = await Eventually.ValueAsync(() => live.Hosts.Find(hostId.ToString()), _ => true, Deadline, "the host's first sampling round is done");
                var supervisor = Service<IHostConnections>().GetConnection(hostId);
                var before = supervisor.CallCount;

                // The next full round (10 s later) samples every running guest again.
                var next = await Eventually.ValueAsync(
                    () => live.Hosts.Find(hostId.ToString()), u => u.Usage.At > first.Usage.At, Deadline, "a second sampling round is done");
                Assert.Equal(3, live.Guests.Current(g => g.HostId == hostId && g.At == next.Usage.At).Count);
                Assert.Equal(before, supervisor.CallCount);
            }
            finally
            {
                await WithScopeAsync(async s =>
                {
                    await s.GetRequiredService<HostService>().RemoveAsync(GuestWorld.Admin, hostId);
                    return hostId;
                });
            }

            await Eventually.ValueAsync(
                () => Service<UsageLive>().Hosts.Find(hostId.ToString()) is null ? "gone" : null, _ => true, Deadline, "the removed host's usage is forgotten");
        }
        finally
        {
            File.Delete(world);
        }
    }
}
