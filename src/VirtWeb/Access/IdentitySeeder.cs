using System.Security.Cryptography;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace VirtWeb.Access;

/// <summary>Seeds the roles and the first Administrator. Idempotent, and never touches an existing Administrator.</summary>
public sealed class IdentitySeeder(
    RoleManager<IdentityRole> roleManager,
    UserManager<ApplicationUser> userManager,
    IOptions<BootstrapOptions> options,
    ILogger<IdentitySeeder> logger)
{
    public async Task SeedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var role in Roles.All)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!await roleManager.RoleExistsAsync(role))
            {
                ThrowOnFailure(await roleManager.CreateAsync(new IdentityRole(role)), $"create role {role}");
            }
        }

        if ((await userManager.GetUsersInRoleAsync(Roles.Administrator)).Count > 0)
        {
            return;
        }

        var bootstrap = options.Value;
        var userName = bootstrap.AdminUserName.Trim();
        if (await userManager.FindByNameAsync(userName) is not null)
        {
            // Promoting someone else's account silently would hand it everything; say so instead.
            logger.LogWarning(
                "No Administrator exists and the user {UserName} already exists without that role; not changing it. " +
                "Set Bootstrap:AdminUserName to a new name to create an Administrator.", userName);
            return;
        }

        var generated = string.IsNullOrEmpty(bootstrap.AdminPassword);
        var password = generated ? GeneratePassword() : bootstrap.AdminPassword!;
        // A generated password was printed to a terminal: the Administrator chooses their own at first sign-in.
        var admin = new ApplicationUser { UserName = userName, MustChangePassword = generated };
        ThrowOnFailure(await userManager.CreateAsync(admin, password), $"create the first Administrator {userName}");
        ThrowOnFailure(await userManager.AddToRoleAsync(admin, Roles.Administrator), $"make {userName} an Administrator");

        // Printed, never logged: logs are kept and shipped, and the console is the operator's own terminal.
        Console.WriteLine(generated
            ? $"VirtWeb first run: created Administrator '{userName}' with password: {password}"
            : $"VirtWeb first run: created Administrator '{userName}' with the configured password.");
        Console.WriteLine("Change it after signing in, under Account settings.");
        logger.LogInformation("Created the first Administrator {UserName}.", userName);
    }

    /// <summary>20 characters that satisfy every default Identity password rule.</summary>
    internal static string GeneratePassword()
    {
        const string lower = "abcdefghijkmnopqrstuvwxyz";
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";
        const string digits = "23456789";
        const string symbols = "-_.!@#%+=";
        const string all = lower + upper + digits + symbols;

        var chars = new char[20];
        chars[0] = lower[RandomNumberGenerator.GetInt32(lower.Length)];
        chars[1] = upper[RandomNumberGenerator.GetInt32(upper.Length)];
        chars[2] = digits[RandomNumberGenerator.GetInt32(digits.Length)];
        chars[3] = symbols[RandomNumberGenerator.GetInt32(symbols.Length)];
        for (var i = 4; i < chars.Length; i++)
        {
            chars[i] = all[RandomNumberGenerator.GetInt32(all.Length)];
        }

        RandomNumberGenerator.Shuffle(chars.AsSpan());
        return new string(chars);
    }

    private static void ThrowOnFailure(IdentityResult result, string what)
    {
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"Could not {what}: {string.Join(" ", result.Errors.Select(e => e.Description))}");
        }
    }
}
