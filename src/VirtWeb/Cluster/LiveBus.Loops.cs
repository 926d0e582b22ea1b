using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using StackExchange.Redis;

namespace VirtWeb.Cluster;

/// <summary>The owner's publishing and the followers' reading (see <see cref="LiveBus"/> for the rules).</summary>
public sealed partial class LiveBus
{
    /// <summary>A stream entry that says: the owner wrote the host's snapshot anew; follow it from there.</summary>
    private const string ResetMarker = "*";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General)
    {
        TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { OnlyWhatIsRead } },
    };

    /// <summary>
    /// Writes only what reading makes the item from: its constructor's parameters and settable properties. The rest
    /// is computed (a key, an access path, a network's subnet) and some of it cannot be written at all.
    /// </summary>
    private static void OnlyWhatIsRead(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object)
        {
            return;
        }

        var parameters = info.Type.GetConstructors().SelectMany(c => c.GetParameters()).Select(p => p.Name)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = info.Properties.Count - 1; i >= 0; i--)
        {
            if (info.Properties[i].Set is null && !parameters.Contains(info.Properties[i].Name))
            {
                info.Properties.RemoveAt(i);
            }
        }
    }

    private async Task PublishLoopAsync(CancellationToken cancellationToken)
    {
        var reader = _outgoing.Reader;
        var failing = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // A republish owed (Redis was away) is retried each second even when nothing new is written.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(PollInterval);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token))
                    {
                        return;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                }

                if (_republish)
                {
                    _republish = false;
                    await RepublishAsync();
                }

                var batch = new List<Outgoing>();
                while (batch.Count < BatchSize && reader.TryRead(out var write))
                {
                    batch.Add(write);
                }

                if (batch.Count > 0)
                {
                    await SendAsync(batch);
                }

                if (failing)
                {
                    failing = false;
                    logger.LogInformation("The live-state bus reaches Redis again.");
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // What did not reach Redis is written again, whole, once it does.
                _republish = true;
                if (!failing)
                {
                    failing = true;
                    logger.LogWarning(e, "The live-state bus could not publish to Redis; other instances see this instance's hosts as they were until it is back.");
                }
            }
        }
    }

    private async Task SendAsync(List<Outgoing> batch)
    {
        var db = redis.GetDatabase();
        var sends = new List<Task>(batch.Count * 2 + 4);
        var hosts = new HashSet<Guid>();
        var redisBatch = db.CreateBatch();
        foreach (var write in batch)
        {
            string? json;
            try
            {
                json = write.Item is null ? null : write.Replica.Serialize(write.Item);
            }
            catch (Exception e) when (e is NotSupportedException or JsonException or InvalidOperationException)
            {
                // A bug, not an outage: say which item, and keep publishing the others.
                logger.LogError(e, "The live-state bus cannot write {Collection} item {Key} as JSON; other instances miss this change.", write.Replica.Name, write.Key);
                continue;
            }

            var field = $"{write.Replica.Name}|{write.Key}";
            // The hash first, then the stream: see the class comment for why this order closes the gap.
            sends.Add(json is null && !write.KeepTombstone
                ? redisBatch.HashDeleteAsync(StateKey(write.HostId), field)
                : redisBatch.HashSetAsync(StateKey(write.HostId), field, Envelope(write.Version, json)));
            sends.Add(redisBatch.StreamAddAsync(StreamKey(write.HostId), Fields(write.Replica.Name, write.Key, write.Version, json, write.KeepTombstone),
                maxLength: StreamLength, useApproximateMaxLength: true));
            if (hosts.Add(write.HostId))
            {
                sends.Add(redisBatch.SetAddAsync(HostsKey, write.HostId.ToString()));
            }
        }

        foreach (var hostId in hosts)
        {
            sends.Add(redisBatch.PublishAsync(WakeChannel, hostId.ToString()));
        }

        redisBatch.Execute();
        await Task.WhenAll(sends);
    }

    /// <summary>Writes every owned host's snapshot anew, each in one transaction with a reset marker on its stream.</summary>
    private async Task RepublishAsync()
    {
        var db = redis.GetDatabase();
        foreach (var hostId in store.Hosts.Current().Select(h => h.HostId).Where(ownership.Owns).ToList())
        {
            var prefix = hostId.ToString();
            var entries = _replicas.Values.SelectMany(r => r.Entries(prefix)).ToArray();
            var transaction = db.CreateTransaction();
            _ = transaction.KeyDeleteAsync(StateKey(hostId));
            if (entries.Length > 0)
            {
                _ = transaction.HashSetAsync(StateKey(hostId), entries);
            }

            _ = transaction.StreamAddAsync(StreamKey(hostId), Fields(ResetMarker, "", 0, null, true), maxLength: StreamLength, useApproximateMaxLength: true);
            _ = transaction.SetAddAsync(HostsKey, prefix);
            _ = transaction.PublishAsync(WakeChannel, prefix);
            await transaction.ExecuteAsync();
        }
    }

    /// <summary>A removed host: its state and stream go from Redis, and followers drop its items at their next poll.</summary>
    public async Task HostRemovedAsync(Guid hostId)
    {
        try
        {
            var transaction = redis.GetDatabase().CreateTransaction();
            _ = transaction.SetRemoveAsync(HostsKey, hostId.ToString());
            _ = transaction.KeyDeleteAsync([StateKey(hostId), StreamKey(hostId)]);
            await transaction.ExecuteAsync();
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            logger.LogWarning(e, "Host {Host} was removed, but Redis could not be told; other instances show it until Redis is back and it is removed again.", hostId);
        }
    }

    private async Task FollowLoopAsync(CancellationToken cancellationToken)
    {
        var nextPoll = 0L;
        var failing = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            var hosts = new HashSet<Guid>();
            try
            {
                if (Environment.TickCount64 >= nextPoll)
                {
                    nextPoll = Environment.TickCount64 + (long)PollInterval.TotalMilliseconds;
                    foreach (var member in await redis.GetDatabase().SetMembersAsync(HostsKey))
                    {
                        if (Guid.TryParse(member.ToString(), out var hostId))
                        {
                            hosts.Add(hostId);
                        }
                    }

                    // A host its owner removed (HostRemovedAsync): its items go here too.
                    foreach (var gone in _following.Keys.Where(h => !hosts.Contains(h)).ToList())
                    {
                        _following.TryRemove(gone, out _);
                        foreach (var replica in _replicas.Values)
                        {
                            replica.Reset(gone.ToString(), []);
                        }
                    }
                }

                while (_wake.Reader.TryRead(out var woken))
                {
                    hosts.Add(woken);
                }

                foreach (var hostId in hosts)
                {
                    await FollowAsync(hostId);
                }

                if (failing)
                {
                    failing = false;
                    logger.LogInformation("The live-state bus reads Redis again.");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                if (!failing)
                {
                    failing = true;
                    logger.LogWarning(e, "The live-state bus could not read Redis; other instances' hosts show as they were until it is back.");
                }

                foreach (var follow in _following.Values)
                {
                    follow.LastId = null;
                }
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, nextPoll - Environment.TickCount64)));
            try
            {
                await _wake.Reader.WaitToReadAsync(wait.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Brings one host up to date from the bus, unless it is run here.</summary>
    private async Task FollowAsync(Guid hostId)
    {
        // Owned, or still stopping after it was lost (its supervisor's last writes are local): not followed. It is
        // followed again from the snapshot once the supervisor is gone, so those local writes cannot outrank it.
        if (ownership.Owns(hostId) || connections.Supervises(hostId))
        {
            _following.TryRemove(hostId, out _);
            return;
        }

        var follow = _following.GetOrAdd(hostId, _ => new Follow());
        var db = redis.GetDatabase();
        if (follow.LastId is not { } lastId)
        {
            var last = await db.StreamRangeAsync(StreamKey(hostId), "-", "+", count: 1, messageOrder: Order.Descending);
            lastId = last.Length == 0 ? "0-0" : last[0].Id;
            var state = await db.HashGetAllAsync(StateKey(hostId));
            var prefix = hostId.ToString();
            foreach (var replica in _replicas.Values)
            {
                replica.Reset(prefix, state);
            }

            follow.LastId = lastId;
        }

        while (true)
        {
            var entries = await db.StreamReadAsync(StreamKey(hostId), lastId, count: BatchSize);
            if (entries.Length == 0)
            {
                return;
            }

            foreach (var entry in entries)
            {
                lastId = entry.Id;
                var name = entry["c"].ToString();
                if (name == ResetMarker)
                {
                    // The owner wrote its snapshot anew: start from it (the next round reads it).
                    follow.LastId = null;
                    await FollowAsync(hostId);
                    return;
                }

                if (_replicas.TryGetValue(name, out var replica))
                {
                    var json = entry["i"];
                    try
                    {
                        replica.Apply(entry["k"].ToString(), json.IsNull ? null : json.ToString(), (long)entry["v"], entry["t"] == "1");
                    }
                    catch (JsonException e)
                    {
                        // An instance of another version, most likely: skip the entry, keep following.
                        logger.LogError(e, "The live-state bus cannot read {Collection} item {Key} from host {Host}'s stream; it is skipped.", name, entry["k"], hostId);
                    }
                }
            }

            follow.LastId = lastId;
            if (entries.Length < BatchSize)
            {
                return;
            }
        }
    }

    private static RedisValue Envelope(long version, string? json) => json is null ? $"{version}" : $"{version}|{json}";

    private static NameValueEntry[] Fields(string collection, string key, long version, string? json, bool keepTombstone) => json is null
        ? [new("c", collection), new("k", key), new("v", version), new("t", keepTombstone ? "1" : "0")]
        : [new("c", collection), new("k", key), new("v", version), new("i", json)];

    /// <summary>One collection of the store as the bus sees it, with the JSON of its items.</summary>
    private interface IReplica
    {
        string Name { get; }

        void Observe(Action<LiveWrite<object>>? observer);

        string Serialize(object item);

        void Apply(string key, string? json, long version, bool keepTombstone);

        void Reset(string prefix, HashEntry[] state);

        IEnumerable<HashEntry> Entries(string prefix);
    }

    private sealed class Replica<TItem>(string name, LiveCollection<TItem> collection) : IReplica
        where TItem : class
    {
        public string Name => name;

        public void Observe(Action<LiveWrite<object>>? observer) =>
            collection.Observer = observer is null ? null : w => observer(new LiveWrite<object>(w.Key, w.Item, w.Version, w.KeepTombstone));

        public string Serialize(object item) => JsonSerializer.Serialize((TItem)item, Json);

        public void Apply(string key, string? json, long version, bool keepTombstone) =>
            collection.ApplyRemote(key, json is null ? null : JsonSerializer.Deserialize<TItem>(json, Json), version, keepTombstone);

        public void Reset(string prefix, HashEntry[] state)
        {
            var mine = $"{name}|";
            var snapshot = new List<(string, TItem?, long)>();
            foreach (var entry in state)
            {
                var field = entry.Name.ToString();
                if (!field.StartsWith(mine, StringComparison.Ordinal))
                {
                    continue;
                }

                var value = entry.Value.ToString();
                var bar = value.IndexOf('|');
                var version = long.Parse(bar < 0 ? value : value[..bar], System.Globalization.CultureInfo.InvariantCulture);
                var item = bar < 0 ? null : JsonSerializer.Deserialize<TItem>(value[(bar + 1)..], Json);
                snapshot.Add((field[mine.Length..], item, version));
            }

            collection.ResetRemote(prefix, snapshot);
        }

        public IEnumerable<HashEntry> Entries(string prefix) => collection.Entries(prefix)
            .Select(e => new HashEntry($"{name}|{e.Key}", Envelope(e.Version, e.Item is null ? null : JsonSerializer.Serialize(e.Item, Json))));
    }
}
