using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using VirtWeb.Api;
using VirtWeb.Api.Tokens;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>Integration tests of <c>/api/v1</c>: users with API tokens issued by the token service, and clients that send them.</summary>
public abstract class ApiTest(VirtWebFactory factory) : GuestTest(factory)
{
    /// <summary>A stored user with <paramref name="role"/>, known to access control at once.</summary>
    protected async Task<ApplicationUser> UserAsync(string prefix, string? role)
    {
        var user = await Factory.CreateUserAsync(VirtWebFactory.UniqueUserName(prefix), role is null ? [] : [role]);
        await Service<AccessControl>().ReloadAsync();
        return user;
    }

    /// <summary>The user as the token page sees them: signed in with the cookie.</summary>
    protected static ClaimsPrincipal SignedIn(ApplicationUser user) =>
        new(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, user.Id), new Claim(ClaimTypes.Name, user.UserName!)], "Identity.Application"));

    protected Task<IssuedApiToken> IssueAsync(ApplicationUser user, AccessRole? role = null, params string[] paths) =>
        Service<ApiTokenService>().IssueAsync(SignedIn(user), new ApiTokenRequest($"test {Guid.NewGuid():N}"[..20], Role: role, Paths: paths));

    protected HttpClient Client(string token)
    {
        var client = Factory.CreateClient(new() { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    protected async Task<HttpClient> ClientAsync(ApplicationUser user, AccessRole? role = null, params string[] paths) =>
        Client((await IssueAsync(user, role, paths)).Secret);

    /// <summary>Every route of /api/v1 as the app maps it, with each of its methods.</summary>
    protected IReadOnlyList<(string Method, RouteEndpoint Endpoint)> Routes() =>
        Service<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith(ApiRoutes.V1, StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e)))
            .OrderBy(r => r.e.RoutePattern.RawText, StringComparer.Ordinal).ThenBy(r => r.m, StringComparer.Ordinal)
            .ToList();

    protected static string GuestPath(Guid hostId, Guid uuid) => $"/api/v1/hosts/{hostId}/guests/{uuid}";

    protected DomainState StateOf(Guid hostId, Guid uuid)
    {
        using var domain = Connection(hostId).GetDomainByUuid(uuid);
        return domain.GetState().State;
    }

    /// <summary>The problem details of a refusal, after checking its status.</summary>
    protected static async Task<Microsoft.AspNetCore.Mvc.ProblemDetails> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return System.Text.Json.JsonSerializer.Deserialize<Microsoft.AspNetCore.Mvc.ProblemDetails>(body, new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web))!;
    }

    protected static Task<HttpResponseMessage> PostJsonAsync(HttpClient client, string path, object body) => client.PostAsJsonAsync(path, body);
}
