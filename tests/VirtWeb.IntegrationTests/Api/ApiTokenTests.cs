using System.Net.Http.Json;
using VirtWeb.Api.Tokens;

namespace VirtWeb.IntegrationTests.Api;

[Collection(AppCollection.Name)]
public sealed class ApiTokenTests(VirtWebFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task OperatorTokenOnOneHost_StartsAndStopsThatHostsGuest_RefusedOnOtherHostAndUsers()
    {
        var hostA = await AddPrivateHostAsync();
        var hostB = await AddPrivateHostAsync();
        // An Administrator's token narrowed to Operator on host A: never more than the token says.
        var admin = await UserAsync("tokadmin", Roles.Administrator);
        var issued = await IssueAsync(admin, AccessRole.Operator, AccessPaths.Host(hostA));
        using var client = Client(issued.Secret);

        var started = await client.PostAsync($"{GuestPath(hostA, Db)}/actions/start", null);
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        Assert.Equal(DomainState.Running, StateOf(hostA, Db));
        var stopped = await client.PostAsync($"{GuestPath(hostA, Db)}/actions/force-off", null);
        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        Assert.Equal(DomainState.Shutoff, StateOf(hostA, Db));

        var elsewhere = await ProblemAsync(await client.PostAsync($"{GuestPath(hostB, Db)}/actions/start", null), HttpStatusCode.Forbidden);
        Assert.Contains(admin.UserName!, elsewhere.Detail);
        Assert.Equal(DomainState.Shutoff, StateOf(hostB, Db));
        await ProblemAsync(await client.GetAsync("/api/v1/users"), HttpStatusCode.Forbidden);

        var rows = await AuditRowsAsync(r => r.UserName == admin.UserName);
        Assert.Contains(rows, r => r.Action == "guest.start" && r.Outcome == AuditOutcome.Success && r.ApiTokenId == issued.Token.Id);
        Assert.Contains(rows, r => r.Action == "guest.start" && r.Outcome == AuditOutcome.Denied && r.Target == AccessPaths.Guest(hostB, Db) && r.ApiTokenId == issued.Token.Id);
        Assert.All(rows, r => Assert.DoesNotContain(issued.Secret.Split('_')[^1], r.Detail ?? ""));
    }

    [Fact]
    public async Task TokenList_ShowsOnlyWhatTheTokenMaySee()
    {
        var hostA = await AddPrivateHostAsync();
        var hostB = await AddPrivateHostAsync();
        var viewer = await UserAsync("tokview", Roles.Viewer);
        using var client = await ClientAsync(viewer, paths: AccessPaths.Guest(hostA, Web));

        var page = await client.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/v1/guests?pageSize=500");
        var keys = page.GetProperty("items").EnumerateArray().Select(g => (g.GetProperty("hostId").GetGuid(), g.GetProperty("uuid").GetGuid())).ToList();

        Assert.Equal([(hostA, Web)], keys);
        var hosts = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/hosts");
        Assert.Equal([hostA], hosts.EnumerateArray().Select(h => h.GetProperty("hostId").GetGuid()).ToList());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(GuestPath(hostB, Web))).StatusCode);
    }

    [Fact]
    public async Task DemotedUsersToken_ShrinksWithThem()
    {
        var hostId = await AddPrivateHostAsync();
        var operatorUser = await UserAsync("tokdemote", Roles.Operator);
        using var client = await ClientAsync(operatorUser);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"{GuestPath(hostId, Db)}/actions/start", null)).StatusCode);

        await WithScopeAsync(services => Run(services.GetRequiredService<UserDirectory>().SetRoleAsync(TestPrincipals.Administrator, operatorUser.Id, Roles.Viewer)));

        await ProblemAsync(await client.PostAsync($"{GuestPath(hostId, Db)}/actions/force-off", null), HttpStatusCode.Forbidden);
        Assert.Equal(DomainState.Running, StateOf(hostId, Db));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(GuestPath(hostId, Db))).StatusCode);
    }

    [Fact]
    public async Task TokenOfUserDisabledAfterIssue_Gets401AtNextCall()
    {
        var user = await UserAsync("tokdisable", Roles.Operator);
        using var client = await ClientAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/hosts")).StatusCode);

        await WithScopeAsync(services => Run(services.GetRequiredService<UserDirectory>().DisableAsync(TestPrincipals.Administrator, user.Id)));

        var refused = await ProblemAsync(await client.GetAsync("/api/v1/hosts"), HttpStatusCode.Unauthorized);
        Assert.Contains("disabled", refused.Detail);
    }

    [Fact]
    public async Task TokenOfUserLockedOutAfterIssue_Gets401AtNextCall_AgainOnceUnlocked()
    {
        var user = await UserAsync("toklock", Roles.Operator);
        using var client = await ClientAsync(user);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/hosts")).StatusCode);

        await WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<ApplicationUser>>();
            var stored = (await users.FindByIdAsync(user.Id))!;
            await users.SetLockoutEnabledAsync(stored, true);
            await users.SetLockoutEndDateAsync(stored, DateTimeOffset.UtcNow.AddHours(1));
            return true;
        });

        var refused = await ProblemAsync(await client.GetAsync("/api/v1/hosts"), HttpStatusCode.Unauthorized);
        Assert.Contains("locked out", refused.Detail);

        await WithScopeAsync(async services =>
        {
            var users = services.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<ApplicationUser>>();
            await users.SetLockoutEndDateAsync((await users.FindByIdAsync(user.Id))!, null);
            return true;
        });
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/hosts")).StatusCode);
    }

    [Fact]
    public async Task RevokedExpiredMalformedOrForeignToken_Gets401()
    {
        var user = await UserAsync("tok401", Roles.Operator);
        var revoked = await IssueAsync(user);
        await Service<ApiTokenService>().RevokeAsync(SignedIn(user), revoked.Token.Id);
        var expired = await IssueAsync(user);
        await using (var db = await Service<IDbContextFactory<VirtWebDbContext>>().CreateDbContextAsync())
        {
            await db.ApiTokens.Where(t => t.Id == expired.Token.Id).ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        var valid = await IssueAsync(user);
        var parts = valid.Secret.Split('_', 4);
        var foreign = ApiTokenFormat.Compose("0badc0de", Guid.Parse(parts[2]), parts[3]);
        var wrongSecret = ApiTokenFormat.Compose(parts[1], Guid.Parse(parts[2]), ApiTokenFormat.NewSecret());

        foreach (var (token, says) in new[]
                 {
                     (revoked.Secret, "revoked"), (expired.Secret, "expired"), ("vwt_garbage", "not a VirtWeb API token"),
                     (foreign, "another VirtWeb installation"), (wrongSecret, "not known"),
                 })
        {
            using var client = Client(token);
            var response = await client.GetAsync("/api/v1/hosts");
            var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
            Assert.Contains(says, problem.Detail);
            Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString());
        }

        using var good = Client(valid.Secret);
        Assert.Equal(HttpStatusCode.OK, (await good.GetAsync("/api/v1/hosts")).StatusCode);
    }

    [Fact]
    public async Task Token_NeverOpensPagesHubOrCircuit()
    {
        var user = await UserAsync("tokpages", Roles.Administrator);
        using var client = await ClientAsync(user);

        var page = await client.GetAsync("/guests");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Contains("/Account/Login", page.Headers.Location!.ToString());
        Assert.NotEqual(HttpStatusCode.OK, (await client.PostAsync("/hubs/live/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Factory.CreateClient().GetAsync("/api/v1/hosts")).StatusCode);
    }

    [Fact]
    public async Task Tokens_OwnListedAndRevocable_AdministratorsSeeAndRevokeEveryones_OthersRefused()
    {
        var owner = await UserAsync("tokowner", Roles.Viewer);
        var other = await UserAsync("tokother", Roles.Operator);
        var admin = await UserAsync("tokadm", Roles.Administrator);
        var first = await IssueAsync(owner);
        var second = await IssueAsync(owner);
        var tokens = Service<ApiTokenService>();

        Assert.Equal([second.Token.Id, first.Token.Id], (await tokens.ListOwnAsync(SignedIn(owner))).Select(t => t.Id));
        Assert.Empty(await tokens.ListOwnAsync(SignedIn(other)));
        await Assert.ThrowsAsync<AccessDeniedException>(() => tokens.ListAllAsync(SignedIn(other)));
        await Assert.ThrowsAsync<AccessDeniedException>(() => tokens.RevokeAsync(SignedIn(other), first.Token.Id));
        Assert.Contains(await tokens.ListAllAsync(SignedIn(admin)), t => t.Id == first.Token.Id && t.UserName == owner.UserName);

        await tokens.RevokeAsync(SignedIn(admin), first.Token.Id);
        await tokens.RevokeAsync(SignedIn(owner), second.Token.Id);

        Assert.All(await tokens.ListOwnAsync(SignedIn(owner)), t => Assert.NotNull(t.RevokedAt));
        Assert.Single(await AuditRowsAsync(r => r.UserName == other.UserName && r.Action == "token.revoke" && r.Outcome == AuditOutcome.Denied));
    }

    [Theory]
    [InlineData("", "Give the token a name")]
    [InlineData("a\u0000b", "control character")]
    [InlineData("ok", "at most 365 days", 400)]
    [InlineData("ok", "in the past", -1)]
    public async Task Issue_BadRequest_RefusedWithReason(string name, string says, int days = 30)
    {
        var user = await UserAsync("tokbad", Roles.Viewer);
        var refusal = await Assert.ThrowsAsync<ApiTokenException>(() => Service<ApiTokenService>().IssueAsync(
            SignedIn(user), new ApiTokenRequest(name, DateTimeOffset.UtcNow.AddDays(days))));

        Assert.Contains(says, refusal.Message);
        Assert.Empty(await Service<ApiTokenService>().ListOwnAsync(SignedIn(user)));
    }

    [Fact]
    public async Task Issue_ThroughAToken_Refused()
    {
        var user = await UserAsync("tokmint", Roles.Administrator);
        using var client = await ClientAsync(user);

        await ProblemAsync(await client.PostAsJsonAsync("/api/v1/tokens", new { name = "child" }), HttpStatusCode.Forbidden);
        Assert.Single(await Service<ApiTokenService>().ListOwnAsync(SignedIn(user)));
    }

    private static async Task<bool> Run(Task task)
    {
        await task;
        return true;
    }
}
