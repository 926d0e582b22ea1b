namespace VirtWeb.IntegrationTests.Access;

[Collection(AppCollection.Name)]
public sealed class UserDirectoryTests(VirtWebFactory factory) : IntegrationTest(factory)
{
    [Fact]
    public async Task List_Administrator_SeesEveryAccountWithItsRole()
    {
        var operatorName = VirtWebFactory.UniqueUserName("op");
        await Factory.CreateUserAsync(operatorName, Roles.Operator);

        var users = await WithScopeAsync(services =>
            services.GetRequiredService<UserDirectory>().ListAsync(TestPrincipals.Administrator));

        Assert.Equal([Roles.Operator], users.Single(u => u.UserName == operatorName).Roles);
        Assert.Equal([Roles.Administrator], users.Single(u => u.UserName == VirtWebFactory.AdminUserName).Roles);
    }

    [Theory]
    [InlineData(Roles.Viewer)]
    [InlineData(Roles.Operator)]
    public async Task List_NotAdministrator_IsRefusedByTheService(string role)
    {
        var error = await Assert.ThrowsAsync<AccessDeniedException>(() => WithScopeAsync(services =>
            services.GetRequiredService<UserDirectory>().ListAsync(TestPrincipals.Of("someone", role))));

        Assert.Contains("Administrator", error.Message);
    }

    [Fact]
    public async Task List_Anonymous_IsRefusedByTheService()
    {
        await Assert.ThrowsAsync<AccessDeniedException>(() => WithScopeAsync(services =>
            services.GetRequiredService<UserDirectory>().ListAsync(TestPrincipals.Anonymous)));
    }
}
