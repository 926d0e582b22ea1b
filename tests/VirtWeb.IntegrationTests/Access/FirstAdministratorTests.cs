using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Identity;

namespace VirtWeb.IntegrationTests.Access;

/// <summary>A first run without a configured password, as ./run.sh does it by default.</summary>
public sealed class GeneratedAdminFactory : VirtWebFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Bootstrap:AdminPassword", "");
    }
}

public sealed class FirstAdministratorTests(GeneratedAdminFactory factory) : IClassFixture<GeneratedAdminFactory>
{
    [Fact]
    public async Task GeneratedFirstPassword_FirstSignIn_SentToChangePassword()
    {
        // The printed password went to the terminal; the test sets one it knows without touching the account's flags.
        await using (var scope = factory.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<ApplicationUser>>();
            var admin = (await users.FindByNameAsync(VirtWebFactory.AdminUserName))!;
            Assert.True(admin.MustChangePassword);
            await users.RemovePasswordAsync(admin);
            await users.AddPasswordAsync(admin, VirtWebFactory.AdminPassword);
        }

        var client = BrowserlessClient.Create(factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        var home = await client.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.Redirect, home.StatusCode);
        Assert.StartsWith(VirtWeb.Account.PasswordChangeRequirement.ChangePasswordPath, home.Headers.Location!.ToString());
    }
}
