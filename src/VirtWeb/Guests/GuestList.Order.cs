namespace VirtWeb.Guests;

// The list's order and filters: the sortable columns, the click cycle of their headers, and the search and filter
// inputs, which narrow that order without sorting again.
public partial class GuestList
{
    // The sortable columns in the order the table shows them (Addresses has no order of its own).
    private static readonly SortColumn[] s_columns =
    [
        new("Name", g => g.Name),
        new("Host", g => g.HostName),
        new("State", g => g.StateText),
        new("vCPUs", g => g.Vcpus),
        new("Memory", g => g.MaxMemoryKiB),
        new("CPU", null, (list, g) => list.CpuKey(g), "sort-cpu"),
        new("Used", null, (list, g) => list.MemoryUsedKey(g), "sort-memory-used"),
        new("Mode", g => g.Mode),
        new("Kind", g => g.Kind),
        new("Autostart", g => g.Autostart),
        new("Addresses", null),
        new("Uptime", g => g.RunningSince ?? DateTimeOffset.MaxValue),
    ];

    private static readonly SortColumn s_byName = s_columns[0];

    // Strings as the list shows names (culture order, case ignored); numbers, states and times in their own order.
    private static readonly Comparer<object?> s_keyOrder = Comparer<object?>.Create((a, b) =>
        a is string x && b is string y ? string.Compare(x, y, StringComparison.CurrentCultureIgnoreCase) : Comparer<object?>.Default.Compare(a, b));

    // A guest with no number (not running, first round) sorts below every guest with one.
    private object? CpuKey(GuestState guest) => UsageOf(guest)?.CpuPercent ?? -1.0;

    private object? MemoryUsedKey(GuestState guest) => (double?)UsageOf(guest)?.MemoryUsedKiB ?? -1.0;

    /// <summary>
    /// As MudTable's sort labels did: a click sorts by the column ascending, a second click descending, a third goes
    /// back to the list's own order (by name).
    /// </summary>
    private void SortBy(SortColumn column)
    {
        (_sortColumn, _descending) = !ReferenceEquals(column, _sortColumn) ? (column, false)
            : !_descending ? (column, true)
            : (s_byName, false);
        _sortedByUsage = _sortColumn.UsageKey is not null;
        Refresh();
    }

    private Func<GuestState, object?> SortKey => _sortColumn.UsageKey is { } usage ? g => usage(this, g) : _sortColumn.Key!;

    private void Refresh()
    {
        Sort();
        Filter();
        StateHasChanged();
    }

    /// <summary>
    /// Puts every guest in the order the list shows them, when the guests or the sort changed. The table itself does not
    /// sort (its labels have no SortBy), so a keystroke in the search box filters this order and sorts nothing.
    /// </summary>
    private void Sort()
    {
        var all = _guests?.Items ?? [];
        var sorted = _descending ? all.OrderByDescending(SortKey, s_keyOrder) : all.OrderBy(SortKey, s_keyOrder);
        _order = sorted.ThenBy(g => g.Name, StringComparer.CurrentCultureIgnoreCase).ToArray();
        if (_selected.Count > 0)
        {
            _selected.IntersectWith(_order.Select(g => g.Key));
        }
    }

    private void Filter()
    {
        if (_host is null && _state is null && _mode is null && _matcher.IsEmpty)
        {
            _rows = _order;
            return;
        }

        var rows = new List<GuestState>();
        foreach (var guest in _order)
        {
            if (Matches(guest))
            {
                rows.Add(guest);
            }
        }

        _rows = rows;
    }

    private bool Matches(GuestState g) =>
        (_host is null || g.HostId == _host)
        && (_state is null || g.State == _state)
        && (_mode is null || g.Mode == _mode)
        && _matcher.Matches(g);

    private void SearchChanged(string? value)
    {
        _matcher = new GuestSearch(value);
        FilterBy(ref _search, value);
    }

    private void HostChanged(Guid? value) => FilterBy(ref _host, value);

    private void StateChanged(DomainState? value) => FilterBy(ref _state, value);

    private void ModeChanged(VirtualizationMode? value) => FilterBy(ref _mode, value);

    private void FilterBy<T>(ref T field, T value)
    {
        field = value;
        Filter();
    }

    // Usage columns sort by the page's live usage, which a static key cannot reach.
    private sealed record SortColumn(string Title, Func<GuestState, object?>? Key, Func<GuestList, GuestState, object?>? UsageKey = null, string? TestId = null)
    {
        public bool Sortable => Key is not null || UsageKey is not null;
    }
}
