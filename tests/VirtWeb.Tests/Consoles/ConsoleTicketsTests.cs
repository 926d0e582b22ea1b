using Microsoft.Extensions.Options;
using VirtWeb.Consoles;

namespace VirtWeb.Tests.Consoles;

public sealed class ConsoleTicketsTests
{
    private static readonly Guid Host = Guid.NewGuid();
    private static readonly Guid Guest = Guid.NewGuid();

    private readonly StepClock _clock = new();
    private readonly ConsoleTickets _tickets;

    public ConsoleTicketsTests() => _tickets = new ConsoleTickets(_clock, Options.Create(new ConsoleOptions()));

    [Fact]
    public void Redeem_RightUserSessionAndGuest_OpensOnceOnly()
    {
        var ticket = _tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        Assert.Equal(TicketRefusal.None, _tickets.Redeem(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics, out var redeemed));
        Assert.Equal("ursula", redeemed!.UserName);
        Assert.Equal(TicketRefusal.Unknown, _tickets.Redeem(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics, out _));
    }

    [Fact]
    public void Redeem_After30Seconds_Expired()
    {
        var ticket = _tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TicketRefusal.Expired, _tickets.Redeem(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics, out _));
    }

    [Theory]
    [InlineData("u2", "s1", false, ConsoleKind.Graphics, TicketRefusal.OtherUser)]
    [InlineData("u1", "s2", false, ConsoleKind.Graphics, TicketRefusal.OtherSession)]
    [InlineData("u1", "s1", true, ConsoleKind.Graphics, TicketRefusal.OtherGuest)]
    [InlineData("u1", "s1", false, ConsoleKind.Serial, TicketRefusal.OtherGuest)]
    public void Redeem_AnythingElseDiffers_RefusedAndBurnt(string userId, string session, bool otherGuest, ConsoleKind kind, TicketRefusal expected)
    {
        var ticket = _tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        Assert.Equal(expected, _tickets.Redeem(ticket, userId, session, Host, otherGuest ? Guid.NewGuid() : Guest, kind, out var redeemed));
        Assert.Null(redeemed);
        // A refused attempt used the ticket up: the rightful owner cannot use a ticket someone else has seen.
        Assert.Equal(TicketRefusal.Unknown, _tickets.Redeem(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics, out _));
    }

    [Fact]
    public void Issue_LifetimeConfiguredAboveThirtySeconds_StillExpiresAtThirty()
    {
        var tickets = new ConsoleTickets(_clock, Options.Create(new ConsoleOptions { TicketLifetime = TimeSpan.FromMinutes(5) }));
        var ticket = tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Equal(TicketRefusal.Expired, tickets.Redeem(ticket, "u1", "s1", Host, Guest, ConsoleKind.Graphics, out _));
    }

    [Fact]
    public void Issue_ManyTickets_AllDifferentAndUnguessablyLong()
    {
        var issued = Enumerable.Range(0, 100).Select(_ => _tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics)).ToList();

        Assert.Equal(100, issued.Distinct(StringComparer.Ordinal).Count());
        Assert.All(issued, t => Assert.True(t.Length >= 43, "256 bits in base64url"));
    }

    [Fact]
    public void Issue_AfterOthersExpired_DropsThem()
    {
        _tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);
        _clock.Advance(TimeSpan.FromMinutes(1));

        _tickets.Issue("u1", "ursula", "s1", Host, Guest, ConsoleKind.Graphics);

        Assert.Equal(1, _tickets.Outstanding);
    }

    private sealed class StepClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
