using Microsoft.AspNetCore.Identity;

namespace VirtWeb.Tests.Access;

public sealed class GeneratedPasswordTests
{
    [Fact]
    public void GeneratePassword_ManyTimes_AlwaysMeetsIdentityDefaultRules()
    {
        var rules = new PasswordOptions();
        var passwords = Enumerable.Range(0, 500).Select(_ => IdentitySeeder.GeneratePassword()).ToList();

        Assert.All(passwords, password =>
        {
            Assert.True(password.Length >= rules.RequiredLength);
            Assert.Contains(password, char.IsLower);
            Assert.Contains(password, char.IsUpper);
            Assert.Contains(password, char.IsDigit);
            Assert.Contains(password, c => !char.IsLetterOrDigit(c));
        });
        Assert.Equal(passwords.Count, passwords.Distinct().Count());
    }
}
