namespace VirtWeb.Networks;

/// <summary>A DHCP client ID that more than one card sent, and the cards (with their guests) that sent it.</summary>
public sealed record SharedClientId(string ClientId, IReadOnlyList<ClientIdSender> Senders, string? HeldBy, string? IpAddress);

/// <summary>One card that sent a client ID; <see cref="Guest"/> null when no guest of the host has that MAC.</summary>
public sealed record ClientIdSender(Guid HostId, string Mac, string? Guest, Guid? GuestUuid);

/// <summary>
/// systemd-networkd (and the tiny test guest) derive their DHCP client identity from /etc/machine-id, so clones that
/// share one send the same client ID from different MACs. dnsmasq keys a lease by client ID, not by MAC: each clone that
/// asks takes the one lease (and address) over from the other. Found here from the client ID each card last sent.
/// </summary>
public static class SharedClientIds
{
    public const string WhatItBreaks =
        "dnsmasq keys leases by client ID, so these cards get one lease between them: the same address, handed from one " +
        "to the other at each renewal, and whichever asked last wins.";

    public static IReadOnlyList<SharedClientId> Find(IEnumerable<ClientIdSighting> sightings, IEnumerable<GuestNicState> nics, IEnumerable<LeaseState> leases)
    {
        var byMac = nics.GroupBy(n => (n.HostId, n.Mac)).ToDictionary(g => g.Key, g => g.First());
        var current = leases.ToList();
        return sightings
            .GroupBy(s => (s.HostId, s.ClientId))
            .Where(g => g.Select(s => s.Mac).Distinct().Count() > 1)
            .Select(g =>
            {
                var senders = g.Select(s => byMac.TryGetValue((s.HostId, s.Mac), out var nic)
                        ? new ClientIdSender(s.HostId, s.Mac, nic.GuestName, nic.GuestUuid)
                        : new ClientIdSender(s.HostId, s.Mac, null, null))
                    .OrderBy(s => s.Guest ?? s.Mac, StringComparer.Ordinal).ToList();
                var lease = current.Where(l => l.HostId == g.Key.HostId && l.ClientId == g.Key.ClientId).MaxBy(l => l.Expiry);
                return new SharedClientId(g.Key.ClientId, senders, lease?.Mac, lease?.IpAddress);
            })
            .OrderBy(s => s.ClientId, StringComparer.Ordinal)
            .ToList();
    }
}
