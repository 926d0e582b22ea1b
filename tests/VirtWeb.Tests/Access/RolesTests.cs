namespace VirtWeb.Tests.Access;

public sealed class RolesTests
{
    [Fact]
    public void All_Always_HasTheThreeRolesMostPowerfulFirst() =>
        Assert.Equal(["Administrator", "Operator", "Viewer"], Roles.All);

    [Theory]
    [InlineData(new[] { "Viewer", "Administrator" }, "Administrator")]
    [InlineData(new[] { "Viewer", "Operator" }, "Operator")]
    [InlineData(new[] { "Viewer" }, "Viewer")]
    [InlineData(new[] { "Auditor" }, null)]
    [InlineData(new string[0], null)]
    public void Highest_MixedRoles_PicksTheMostPowerful(string[] roles, string? expected) =>
        Assert.Equal(expected, Roles.Highest(roles));
}
