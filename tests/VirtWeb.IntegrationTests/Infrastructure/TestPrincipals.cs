namespace VirtWeb.IntegrationTests.Infrastructure;

/// <summary>Signed-in callers for service methods, which take the user as a ClaimsPrincipal.</summary>
public static class TestPrincipals
{
    public static ClaimsPrincipal Administrator { get; } = Of("root", VirtWeb.Access.Roles.Administrator);

    public static ClaimsPrincipal Of(string name, string role) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, role)], "test"));

    public static ClaimsPrincipal WithId(string id) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, id)], "test"));

    public static ClaimsPrincipal Anonymous { get; } = new(new ClaimsIdentity());
}
