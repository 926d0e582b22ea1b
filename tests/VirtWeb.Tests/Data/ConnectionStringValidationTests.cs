using VirtWeb.Data;

namespace VirtWeb.Tests.Data;

public sealed class ConnectionStringValidationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Validate_Missing_NamesTheSettingAndTheEnvironmentVariable(string? value)
    {
        var error = Assert.Throws<StartupValidationException>(() => DataExtensions.ValidateConnectionString(value));

        Assert.Contains("ConnectionStrings:VirtWeb is not set", error.Message);
        Assert.Contains("ConnectionStrings__VirtWeb", error.Message);
    }

    [Theory]
    [InlineData("not a connection string")]
    [InlineData("Host=localhost;Bogus Key=1")]
    public void Validate_Malformed_SaysItIsNotValid(string value)
    {
        var error = Assert.Throws<StartupValidationException>(() => DataExtensions.ValidateConnectionString(value));

        Assert.Contains("not a valid PostgreSQL connection string", error.Message);
    }

    [Fact]
    public void Validate_NoDatabase_AsksForIt()
    {
        var error = Assert.Throws<StartupValidationException>(() => DataExtensions.ValidateConnectionString("Host=localhost"));

        Assert.Contains("Database", error.Message);
    }

    [Fact]
    public void Describe_ConnectionWithPassword_LeavesThePasswordOut()
    {
        var description = DataExtensions.Describe("Host=db;Port=5433;Database=virtweb;Username=app;Password=secret");

        Assert.Equal("Host=db;Port=5433;Database=virtweb;Username=app", description);
    }
}
