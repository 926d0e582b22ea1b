using VirtWeb.Account;

namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class UserPreferencesTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task DarkMode_Set_IsRememberedForThatUserOnly()
    {
        var alice = await Factory.CreateUserAsync(VirtWebFactory.UniqueUserName("alice"), Roles.Viewer);
        var bob = await Factory.CreateUserAsync(VirtWebFactory.UniqueUserName("bob"), Roles.Viewer);

        var (aliceMode, bobMode) = await WithScopeAsync(async services =>
        {
            var preferences = services.GetRequiredService<UserPreferences>();
            await preferences.SetDarkModeAsync(TestPrincipals.WithId(alice.Id), darkMode: true);
            return (await preferences.GetDarkModeAsync(TestPrincipals.WithId(alice.Id)), await preferences.GetDarkModeAsync(TestPrincipals.WithId(bob.Id)));
        });

        Assert.True(aliceMode);
        Assert.Null(bobMode);
    }
}
