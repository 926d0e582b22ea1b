using Microsoft.AspNetCore.Identity;

namespace VirtWeb.IntegrationTests.Access;

/// <summary>Has an app of its own: it counts Administrators, which other fixtures' tests would change.</summary>
public sealed class UserAdministrationTests(VirtWebFactory factory) : IntegrationTest(factory), IClassFixture<VirtWebFactory>
{
    private static readonly ClaimsPrincipal Admin = TestPrincipals.Administrator;

    [Fact]
    public async Task Create_NewUser_SignsInWithTheGeneratedPasswordAndMustChangeIt()
    {
        var name = VirtWebFactory.UniqueUserName("new");

        var password = await Directory(d => d.CreateAsync(Admin, name, Roles.Operator));

        var client = BrowserlessClient.Create(Factory);
        var signIn = await client.SignInAsync(name, password);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        var start = await client.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, start.StatusCode);
        Assert.StartsWith("/Account/Manage/ChangePassword", start.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/Account/Manage/ChangePassword?required=true")).StatusCode);
    }

    [Theory]
    [InlineData("", "Give the account a user name")]
    [InlineData("has space", "space or control character")]
    [InlineData("nul\0", "space or control character")]
    public async Task Create_BadName_RefusedWithMessageAndNothingCreated(string name, string expected)
    {
        var before = (await Directory(d => d.ListAsync(Admin))).Count;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Directory(d => d.CreateAsync(Admin, name, Roles.Viewer)));

        Assert.Contains(expected, error.Message);
        Assert.Equal(before, (await Directory(d => d.ListAsync(Admin))).Count);
    }

    [Fact]
    public async Task Create_DuplicateName_RefusedWithIdentitysMessage()
    {
        var name = VirtWebFactory.UniqueUserName("twice");
        await Directory(d => d.CreateAsync(Admin, name, Roles.Viewer));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Directory(d => d.CreateAsync(Admin, name, Roles.Viewer)));

        Assert.Contains("is already taken", error.Message);
    }

    [Fact]
    public async Task Disable_User_CannotSignInAndIsToldWhy()
    {
        var name = VirtWebFactory.UniqueUserName("off");
        var user = await Factory.CreateUserAsync(name, Roles.Viewer);

        await Directory(async d =>
        {
            await d.DisableAsync(Admin, user.Id);
            return true;
        });

        var response = await BrowserlessClient.Create(Factory).SignInAsync(name, VirtWebFactory.UserPassword);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("This account is disabled", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ResetPassword_OldPasswordStopsWorkingNewOneMustBeChanged()
    {
        var name = VirtWebFactory.UniqueUserName("reset");
        var user = await Factory.CreateUserAsync(name, Roles.Viewer);

        var password = await Directory(d => d.ResetPasswordAsync(Admin, user.Id));

        Assert.NotEqual(VirtWebFactory.UserPassword, password);
        Assert.Contains("Wrong user name or password",
            await (await BrowserlessClient.Create(Factory).SignInAsync(name, VirtWebFactory.UserPassword)).Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Redirect, (await BrowserlessClient.Create(Factory).SignInAsync(name, password)).StatusCode);
        Assert.True((await FindAsync(user.Id)).MustChangePassword);
    }

    [Fact]
    public async Task Unlock_LockedOutUser_CanSignInAgain()
    {
        var name = VirtWebFactory.UniqueUserName("locked");
        var user = await Factory.CreateUserAsync(name, Roles.Viewer);
        var client = BrowserlessClient.Create(Factory);
        for (var attempt = 0; attempt < 5; attempt++)
        {
            await client.SignInAsync(name, "wrong");
        }

        await Directory(async d =>
        {
            await d.UnlockAsync(Admin, user.Id);
            return true;
        });

        var response = await BrowserlessClient.Create(Factory).SignInAsync(name, VirtWebFactory.UserPassword);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("Lockout", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task LastActiveAdministrator_CannotBeDisabledOrDemoted()
    {
        var admin = await WithScopeAsync(s => s.GetRequiredService<UserManager<ApplicationUser>>().FindByNameAsync(VirtWebFactory.AdminUserName));
        var others = (await Directory(d => d.ListAsync(Admin))).Where(u => u.Roles.Contains(Roles.Administrator) && u.Id != admin!.Id && !u.IsDisabled);
        foreach (var other in others)
        {
            await Directory(async d =>
            {
                await d.SetRoleAsync(Admin, other.Id, Roles.Viewer);
                return true;
            });
        }

        var disable = await Assert.ThrowsAsync<InvalidOperationException>(() => Directory(async d =>
        {
            await d.DisableAsync(Admin, admin!.Id);
            return true;
        }));
        var demote = await Assert.ThrowsAsync<InvalidOperationException>(() => Directory(async d =>
        {
            await d.SetRoleAsync(Admin, admin!.Id, Roles.Operator);
            return true;
        }));

        Assert.Contains("last active Administrator", disable.Message);
        Assert.Contains("last active Administrator", demote.Message);
        var after = await FindAsync(admin!.Id);
        Assert.False(after.IsDisabled);
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Operator)]
    public async Task EveryChange_NotAdministrator_RefusedByTheService(string role)
    {
        var caller = TestPrincipals.Of("mallory", role);
        var victim = await Factory.CreateUserAsync(VirtWebFactory.UniqueUserName("victim"), Roles.Viewer);

        await Assert.ThrowsAsync<AccessDeniedException>(() => Directory(d => d.CreateAsync(caller, "sneaky", Roles.Administrator)));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Directory(async d => { await d.SetRoleAsync(caller, victim.Id, Roles.Administrator); return true; }));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Directory(async d => { await d.DisableAsync(caller, victim.Id); return true; }));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Directory(async d => { await d.UnlockAsync(caller, victim.Id); return true; }));
        await Assert.ThrowsAsync<AccessDeniedException>(() => Directory(d => d.ResetPasswordAsync(caller, victim.Id)));

        var unchanged = await FindAsync(victim.Id);
        Assert.False(unchanged.IsDisabled);
        Assert.False(unchanged.MustChangePassword);
    }

    private Task<T> Directory<T>(Func<UserDirectory, Task<T>> action) =>
        WithScopeAsync(services => action(services.GetRequiredService<UserDirectory>()));

    private async Task<ApplicationUser> FindAsync(string id) =>
        (await WithScopeAsync(s => s.GetRequiredService<UserManager<ApplicationUser>>().FindByIdAsync(id)))!;
}
