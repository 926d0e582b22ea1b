namespace VirtWeb.Api.Tokens;

/// <summary>
/// The account page for API tokens, statically rendered like the other account pages: make one (its secret is shown
/// in this one response only), see one's own and, for Administrators, everyone's; revoke.
/// </summary>
public partial class ApiTokensPage
{
    private IssuedApiToken? _issued;
    private string? _message;
    private IReadOnlyList<ApiTokenSummary> _own = [];
    private IReadOnlyList<ApiTokenSummary>? _everyone;

    [Inject]
    public required ApiTokenService Tokens { get; init; }

    [Inject]
    public required AccessControl Access { get; init; }

    [Inject]
    public required TimeProvider TimeProvider { get; init; }

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "issue-token")]
    private IssueInput Input { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "revoke-token")]
    private RevokeInput? Revoke { get; set; }

    protected override async Task OnInitializedAsync()
    {
        Input ??= new();
        await LoadAsync();
    }

    private async Task RevokeAsync()
    {
        if (Revoke?.TokenId is { } tokenId)
        {
            await ActAsync(() => Tokens.RevokeAsync(HttpContext.User, tokenId));
        }

        await LoadAsync();
    }

    private async Task IssueAsync()
    {
        await ActAsync(async () =>
        {
            var paths = (Input.Paths ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            AccessRole? role = Enum.TryParse<AccessRole>(Input.Role, out var parsed) ? parsed : null;
            _issued = await Tokens.IssueAsync(HttpContext.User, new ApiTokenRequest(Input.Name, TimeProvider.GetUtcNow().AddDays(Input.Days), role, paths));
            Input = new();
        });
        await LoadAsync();
    }

    private async Task ActAsync(Func<Task> act)
    {
        try
        {
            await act();
        }
        catch (Exception e) when (e is ApiTokenException or AccessDeniedException or ApiTokenNotFoundException)
        {
            _message = e.Message;
        }
    }

    private async Task LoadAsync()
    {
        _own = await Tokens.ListOwnAsync(HttpContext.User);
        _everyone = Access.Allows(HttpContext.User, AccessPaths.Root, Permission.ManageAccess) ? await Tokens.ListAllAsync(HttpContext.User) : null;
    }

    private sealed class IssueInput
    {
        public string? Name { get; set; }

        public int Days { get; set; } = (int)ApiTokenService.DefaultLifetime.TotalDays;

        public string? Role { get; set; }

        public string? Paths { get; set; }
    }

    private sealed class RevokeInput
    {
        public Guid? TokenId { get; set; }
    }
}
