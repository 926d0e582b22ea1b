namespace VirtWeb.IntegrationTests.Networks;

/// <summary>
/// What the machine's libvirtd had of the <c>default</c> pool and network before a test readied it, and how to put it
/// back exactly: a pool or network that was absent is stopped and undefined, one that was there gets its state and
/// autostart back (and its definition, should it have changed). Guests and volumes named with the test's prefix go first.
/// </summary>
public sealed record FreshQemuHost(ObjectState? Pool, ObjectState? Network, IReadOnlyList<string> OtherActivePools, IReadOnlyList<string> OtherActiveNetworks)
{
    public const string Uri = "qemu:///system";

    public bool IsFresh => Pool is not { Active: true } && OtherActivePools.Count == 0 && Network is not { Active: true } && OtherActiveNetworks.Count == 0;

    public static FreshQemuHost Record()
    {
        using var connection = LibvirtConnection.Open(Uri);
        var (pool, otherPools) = Sort(connection.ListStoragePools(), p => p.Name, p => p.IsActive,
            p => new ObjectState(p.IsActive, p.IsPersistent && p.Autostart, p.GetXml(StorageXmlFlags.Inactive)));
        var (network, otherNetworks) = Sort(connection.ListNetworks(), n => n.Name, n => n.IsActive,
            n => new ObjectState(n.IsActive, n.IsPersistent && n.Autostart, n.GetXml(NetworkXmlFlags.Inactive)));
        return new FreshQemuHost(pool, network, otherPools, otherNetworks);
    }

    public override string ToString() =>
        $"pool default: {Describe(Pool)}; network default: {Describe(Network)}; other active pools: [{string.Join(", ", OtherActivePools)}]; other active networks: [{string.Join(", ", OtherActiveNetworks)}]";

    /// <summary>Removes the guests and default-pool volumes named <paramref name="prefix"/>…, then restores the pool and network.</summary>
    public void Restore(string prefix)
    {
        using var connection = LibvirtConnection.Open(Uri);
        foreach (var domain in connection.ListDomains())
        {
            using (domain)
            {
                if (domain.Name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    Quietly(() => domain.Destroy());
                    Quietly(() => domain.Undefine(DomainUndefineFlags.ManagedSave | DomainUndefineFlags.Nvram));
                }
            }
        }

        RestorePool(connection, prefix);
        RestoreNetwork(connection);
    }

    private void RestorePool(LibvirtConnection connection, string prefix)
    {
        LibvirtStoragePool current;
        try
        {
            current = connection.GetStoragePoolByName("default");
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoStoragePool)
        {
            if (Pool is not null)
            {
                Revive(connection.DefineStoragePool(Pool.Xml), Pool);
            }

            return;
        }

        using (current)
        {
            if (current.IsActive)
            {
                Quietly(current.Refresh);
                foreach (var volume in current.ListVolumes())
                {
                    using (volume)
                    {
                        if (volume.Name.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            volume.Delete();
                        }
                    }
                }
            }

            if (Pool is null)
            {
                // Undefining a directory pool leaves its directory (which was there before) as it is.
                Quietly(current.Stop);
                current.Undefine();
                return;
            }

            if (current.IsActive && !Pool.Active)
            {
                current.Stop();
            }

            current.Autostart = Pool.Autostart;
            if (Pool.Active && !current.IsActive)
            {
                current.Start();
            }
        }
    }

    private void RestoreNetwork(LibvirtConnection connection)
    {
        LibvirtNetwork current;
        try
        {
            current = connection.GetNetworkByName("default");
        }
        catch (LibvirtException e) when (e.Code == LibvirtErrorCode.NoNetwork)
        {
            if (Network is not null)
            {
                using var defined = connection.DefineNetwork(Network.Xml);
                defined.Autostart = Network.Autostart;
                if (Network.Active)
                {
                    defined.Start();
                }
            }

            return;
        }

        using (current)
        {
            if (current.IsActive)
            {
                current.Stop();
            }

            if (Network is null)
            {
                current.Undefine();
                return;
            }

            if (current.GetXml(NetworkXmlFlags.Inactive) != Network.Xml)
            {
                connection.DefineNetwork(Network.Xml).Dispose();
            }

            current.Autostart = Network.Autostart;
            if (Network.Active)
            {
                current.Start();
            }
        }
    }

    private static void Revive(LibvirtStoragePool pool, ObjectState state)
    {
        using (pool)
        {
            pool.Autostart = state.Autostart;
            if (state.Active)
            {
                pool.Start();
            }
        }
    }

    /// <summary>The state of the one named default, and the names of the others that are active; disposes them all.</summary>
    private static (ObjectState? Default, List<string> OtherActive) Sort<T>(IReadOnlyList<T> items, Func<T, string> name, Func<T, bool> active, Func<T, ObjectState> read)
        where T : IDisposable
    {
        ObjectState? found = null;
        var others = new List<string>();
        foreach (var item in items)
        {
            using (item)
            {
                if (name(item) == "default")
                {
                    found = read(item);
                }
                else if (active(item))
                {
                    others.Add(name(item));
                }
            }
        }

        return (found, others);
    }

    private static string Describe(ObjectState? state) => state is null ? "absent" : $"{(state.Active ? "active" : "inactive")}, autostart {(state.Autostart ? "on" : "off")}";

    private static void Quietly(Action action)
    {
        try
        {
            action();
        }
        catch (LibvirtException)
        {
            // Not running, or already gone: nothing to undo.
        }
    }
}

/// <summary>A pool's or network's state, autostart and inactive definition.</summary>
public sealed record ObjectState(bool Active, bool Autostart, string Xml);
