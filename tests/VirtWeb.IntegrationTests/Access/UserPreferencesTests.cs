using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using VirtWeb.Access;
using VirtWeb.Account;
using VirtWeb.IntegrationTests.Infrastructure;

namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class UserPreferencesTests(VirtWebFactory factory)
{
    [Fact]
    public async Task DarkMode_Set_IsRememberedForThatUserOnly()
    {
        var alice = await factory.CreateUserAsync(VirtWebFactory.UniqueUserName("alice"), Roles.Viewer);
        var bob = await factory.CreateUserAsync(VirtWebFactory.UniqueUserName("bob"), Roles.Viewer);

        var (aliceMode, bobMode) = await factory.WithScopeAsync(async services =>
        {
            var preferences = services.GetRequiredService<UserPreferences>();
            await preferences.SetDarkModeAsync(Principal(alice.Id), darkMode: true);
            return (await preferences.GetDarkModeAsync(Principal(alice.Id)), await preferences.GetDarkModeAsync(Principal(bob.Id)));
        });

        Assert.True(aliceMode);
        Assert.Null(bobMode);
    }

    private static ClaimsPrincipal Principal(string id) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], "test"));
}
