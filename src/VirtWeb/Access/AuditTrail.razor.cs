namespace VirtWeb.Access;

public partial class AuditTrail
{
    private readonly List<AuditRecord> _found = [];
    private LiveView<AuditRecord>? _live;
    private AuditQuery _query = new();
    private long _newestFound;
    private string? _userName;
    private string? _target;
    private string? _action;
    private DateTime? _from;
    private DateTime? _to;
    private string? _error;
    private bool _searching;

    [CascadingParameter]
    public required Task<AuthenticationState> AuthenticationState { get; init; }

    [Inject]
    public required AuditLog Audit { get; init; }

    [Inject]
    public required AuditSearch Search { get; init; }

    /// <summary>Rows written since the search that match it, newest first, then the search's own rows.</summary>
    private IEnumerable<AuditRecord> Rows =>
        (_live?.Items ?? [])
            .Where(r => r.Id > _newestFound && Matches(r))
            .OrderByDescending(r => r.Id)
            .Concat(_found);

    protected override async Task OnInitializedAsync()
    {
        _live = new LiveView<AuditRecord>(Audit.Recent, r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), InvokeAsync, _ => StateHasChanged());
        await SearchAsync();
    }

    private async Task SearchAsync()
    {
        if (_searching)
        {
            return;
        }

        _searching = true;
        _error = null;
        try
        {
            _query = new AuditQuery(
                _userName,
                _target,
                _action,
                _from is { } from ? new DateTimeOffset(DateTime.SpecifyKind(from.Date, DateTimeKind.Utc)) : null,
                _to is { } to ? new DateTimeOffset(DateTime.SpecifyKind(to.Date.AddDays(1).AddTicks(-1), DateTimeKind.Utc)) : null);
            var rows = await Search.SearchAsync((await AuthenticationState).User, _query);
            _found.Clear();
            _found.AddRange(rows);
            _newestFound = rows.Count > 0 ? rows.Max(r => r.Id) : _live?.Items.Select(r => r.Id).DefaultIfEmpty().Max() ?? 0;
        }
        catch (AccessDeniedException e)
        {
            _error = e.Message;
        }
        finally
        {
            _searching = false;
        }
    }

    private bool Matches(AuditRecord row) =>
        (string.IsNullOrWhiteSpace(_query.UserName) || row.UserName == _query.UserName.Trim())
        && (string.IsNullOrWhiteSpace(_query.Target) || row.Target.StartsWith(_query.Target.Trim(), StringComparison.Ordinal))
        && (string.IsNullOrWhiteSpace(_query.Action) || row.Action.StartsWith(_query.Action.Trim(), StringComparison.Ordinal))
        && (_query.From is null || row.At >= _query.From)
        && (_query.To is null || row.At <= _query.To);

    private static Color OutcomeColour(AuditOutcome outcome) => outcome switch
    {
        AuditOutcome.Success => Color.Success,
        AuditOutcome.Denied => Color.Warning,
        _ => Color.Error,
    };

    public async ValueTask DisposeAsync()
    {
        if (_live is not null)
        {
            await _live.DisposeAsync();
        }
    }
}
