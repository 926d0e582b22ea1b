using Microsoft.Extensions.Options;
using VirtWeb.Consoles;

namespace VirtWeb.Tests.Consoles;

public sealed class ConsoleTicketsTests
{
    private static readonly Guid Host = Guid.NewGuid();
    private static readonly Guid Guest = Guid.NewGuid();

    private readonly StepClock _clock = new();
    private readonly MemoryConsoleTicketStore _store;
    private readonly ConsoleTickets _tickets;

    public ConsoleTicketsTests()
    {
        _store = new MemoryConsoleTicketStore(_clock);
        _tickets = new ConsoleTickets(_clock, Options.Create(new ConsoleOptions()), _store);
    }

    [Fact]
    public async Task Redeem_RightUserSessionAndGuest_OpensOnceOnly()
    {
        var ticket = await _tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        var (refusal, redeemed) = await _tickets.RedeemAsync(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics);
        Assert.Equal(TicketRefusal.None, refusal);
        Assert.Equal("ursula", redeemed!.UserName);
        Assert.Equal(TicketRefusal.Unknown, (await _tickets.RedeemAsync(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics)).Refusal);
    }

    [Fact]
    public async Task Redeem_After30Seconds_Expired()
    {
        var ticket = await _tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TicketRefusal.Expired, (await _tickets.RedeemAsync(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics)).Refusal);
    }

    [Theory]
    [InlineData("u2", "s1", false, ConsoleKind.Graphics, TicketRefusal.OtherUser)]
    [InlineData("u1", "s2", false, ConsoleKind.Graphics, TicketRefusal.OtherSession)]
    [InlineData("u1", "s1", true, ConsoleKind.Graphics, TicketRefusal.OtherGuest)]
    [InlineData("u1", "s1", false, ConsoleKind.Serial, TicketRefusal.OtherGuest)]
    public async Task Redeem_AnythingElseDiffers_RefusedAndBurnt(string userId, string session, bool otherGuest, ConsoleKind kind, TicketRefusal expected)
    {
        var ticket = await _tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        var (refusal, redeemed) = await _tickets.RedeemAsync(ticket, userId, session, Host, otherGuest ? Guid.NewGuid() : Guest, kind);
        Assert.Equal(expected, refusal);
        Assert.Null(redeemed);
        // A refused attempt used the ticket up: the rightful owner cannot use a ticket someone else has seen.
        Assert.Equal(TicketRefusal.Unknown, (await _tickets.RedeemAsync(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics)).Refusal);
    }

    [Fact]
    public async Task Issue_LifetimeConfiguredAboveThirtySeconds_StillExpiresAtThirty()
    {
        var tickets = new ConsoleTickets(_clock, Options.Create(new ConsoleOptions { TicketLifetime = TimeSpan.FromMinutes(5) }), _store);
        var ticket = await tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TicketRefusal.Expired, (await tickets.RedeemAsync(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics)).Refusal);
    }

    [Fact]
    public async Task Issue_ManyTickets_AllDifferentAndUnguessablyLong()
    {
        var issued = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            issued.Add(await _tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics));
        }

        Assert.Equal(100, issued.Distinct(StringComparer.Ordinal).Count());
        Assert.All(issued, t => Assert.True(t.Length >= 43, "256 bits in base64url"));
    }

    [Fact]
    public async Task Issue_AfterOthersExpired_DropsThem()
    {
        await _tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);
        _clock.Advance(TimeSpan.FromMinutes(1));

        await _tickets.IssueAsync("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        Assert.Equal(1, _store.Outstanding);
    }

    private sealed class StepClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
