using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class IdentitySeederTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task Seed_Twice_LeavesThreeRolesAndOneAdministrator()
    {
        var (roles, admins) = await WithScopeAsync(async services =>
        {
            var seeder = services.GetRequiredService<IdentitySeeder>();
            await seeder.SeedAsync();
            await seeder.SeedAsync();
            var roleManager = services.GetRequiredService<RoleManager<IdentityRole>>();
            var userManager = services.GetRequiredService<UserManager<ApplicationUser>>();
            return (roleManager.Roles.Select(r => r.Name!).OrderBy(n => n).ToList(),
                await userManager.GetUsersInRoleAsync(Roles.Administrator));
        });

        Assert.Equal(Roles.All.Order(), roles);
        Assert.Equal(VirtWebFactory.AdminUserName, Assert.Single(admins).UserName);
    }

    [Fact]
    public async Task Seed_AdministratorExists_NeverOverwritesItsPassword()
    {
        var passwordStillWorks = await WithScopeAsync(async services =>
        {
            var userManager = services.GetRequiredService<UserManager<ApplicationUser>>();
            var seeder = new IdentitySeeder(
                services.GetRequiredService<RoleManager<IdentityRole>>(),
                userManager,
                Options.Create(new BootstrapOptions { AdminUserName = VirtWebFactory.AdminUserName, AdminPassword = "Another-Passw0rd!" }),
                NullLogger<IdentitySeeder>.Instance);

            await seeder.SeedAsync();

            var admin = await userManager.FindByNameAsync(VirtWebFactory.AdminUserName);
            return await userManager.CheckPasswordAsync(admin!, VirtWebFactory.AdminPassword);
        });

        Assert.True(passwordStillWorks);
    }
}
