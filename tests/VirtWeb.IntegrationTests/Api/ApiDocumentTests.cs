using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using NSwag.CodeGeneration.CSharp;
using VirtWeb.Api;

namespace VirtWeb.IntegrationTests.Api;

/// <summary>The OpenAPI document lists every route with its schemas, a client generated from it works, and both need sign-in.</summary>
[Collection(AppCollection.Name)]
public sealed partial class ApiDocumentTests(VirtWebFactory factory) : ApiTest(factory)
{
    [Fact]
    public async Task Document_ListsEveryRouteWithSchemas()
    {
        using var document = JsonDocument.Parse(await SignedInDocumentAsync());
        var paths = document.RootElement.GetProperty("paths");
        var routes = Routes();
        Assert.NotEmpty(routes);

        foreach (var (method, endpoint) in routes)
        {
            var path = endpoint.RoutePattern.RawText!.TrimEnd('/');
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is not in the document.");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is not in the document.");
            Assert.True(operation.TryGetProperty("operationId", out _), $"{method} {path} has no operationId.");
            if (endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>() is { RequestType: not null })
            {
                Assert.True(operation.GetProperty("requestBody").GetProperty("content").EnumerateObject().All(c => c.Value.TryGetProperty("schema", out _)),
                    $"{method} {path}'s body has no schema.");
            }
        }

        var schemas = document.RootElement.GetProperty("components").GetProperty("schemas");
        Assert.True(schemas.TryGetProperty("GuestState", out var guest));
        Assert.Contains("DomainState", guest.GetProperty("properties").GetProperty("state").ToString());
        Assert.Contains("Running", schemas.GetProperty("DomainState").ToString());
        Assert.Equal("bearer", document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("token").GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task DocumentAndReference_NeedSignIn()
    {
        var anonymous = Factory.CreateClient(new() { AllowAutoRedirect = false });

        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync(ApiDocuments.DocumentPath)).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await anonymous.GetAsync(ApiDocuments.ReferencePath + "/index.html")).StatusCode);
    }

    [Fact]
    public async Task Reference_LoadsItsScriptsFromFiles_NoInlineScript()
    {
        var client = BrowserlessClient.Create(Factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);

        var html = await client.Http.GetStringAsync(ApiDocuments.ReferencePath + "/index.html");

        var scripts = ScriptTag().Matches(html);
        Assert.NotEmpty(scripts);
        Assert.All(scripts, s => Assert.Contains("src=", s.Groups[1].Value));
    }

    [Fact]
    public async Task GeneratedClient_ListsGuestsAndStartsOne()
    {
        var hostId = await AddPrivateHostAsync();
        var operatorUser = await UserAsync("apiclient", Roles.Operator);
        var issued = await IssueAsync(operatorUser);
        var document = await NSwag.OpenApiDocument.FromJsonAsync(await SignedInDocumentAsync());
        var code = new CSharpClientGenerator(document, new CSharpClientGeneratorSettings
        {
            ClassName = "VirtWebClient",
            OperationNameGenerator = new NSwag.CodeGeneration.OperationNameGenerators.SingleClientFromOperationIdOperationNameGenerator(),
            CSharpGeneratorSettings = { Namespace = "Generated", JsonLibrary = NJsonSchema.CodeGeneration.CSharp.CSharpJsonLibrary.SystemTextJson },
        }).GenerateFile() + EnumsAsNames;
        var clientType = Compile(code).GetType("Generated.VirtWebClient", throwOnError: true)!;
        using var http = Client(issued.Secret);
        // The document names no server: the client takes the HttpClient's base address.
        var client = clientType.GetConstructor([typeof(HttpClient)]) is { } withClient
            ? withClient.Invoke([http])
            : Activator.CreateInstance(clientType, "http://localhost/", http)!;

        var page = await CallAsync(client, "ListGuestsAsync", new() { ["host"] = hostId, ["page"] = 1, ["pageSize"] = 100 });
        var items = ((System.Collections.IEnumerable)page!.GetType().GetProperty("Items")!.GetValue(page)!).Cast<object>().ToList();
        Assert.Equal(["db", "web"], items.Select(i => (string)i.GetType().GetProperty("Name")!.GetValue(i)!).Order());
        await CallAsync(client, "RunGuestActionAsync", new() { ["hostId"] = hostId.ToString(), ["uuid"] = Db.ToString(), ["action"] = "start" });

        Assert.Equal(DomainState.Running, StateOf(hostId, Db));
    }

    // NSwag's hook for the client's serializer settings: the API writes enums by name, as the document says.
    private const string EnumsAsNames = """

        namespace Generated
        {
            public partial class VirtWebClient
            {
                static partial void UpdateJsonSerializerSettings(System.Text.Json.JsonSerializerOptions settings) =>
                    settings.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
            }
        }
        """;

    private async Task<string> SignedInDocumentAsync()
    {
        var client = BrowserlessClient.Create(Factory);
        await client.SignInAsync(VirtWebFactory.AdminUserName, VirtWebFactory.AdminPassword);
        return await client.Http.GetStringAsync(ApiDocuments.DocumentPath);
    }

    private static async Task<object?> CallAsync(object client, string name, Dictionary<string, object?> arguments)
    {
        var method = client.GetType().GetMethods().First(m => m.Name == name && m.GetParameters().All(p => p.ParameterType != typeof(CancellationToken)));
        var values = method.GetParameters().Select(p => arguments.TryGetValue(p.Name!, out var value) ? Convert(value, p.ParameterType) : null).ToArray();
        var task = (Task)method.Invoke(client, values)!;
        await task;
        return task.GetType().GetProperty("Result")?.GetValue(task);
    }

    private static object? Convert(object? value, Type type) =>
        value is string text && (Nullable.GetUnderlyingType(type) ?? type) == typeof(Guid) ? Guid.Parse(text) : value;

    private static Assembly Compile(string code)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("VirtWebGeneratedClient", [CSharpSyntaxTree.ParseText(code)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        return Assembly.Load(image.ToArray());
    }

    [GeneratedRegex("<script([^>]*)>", RegexOptions.IgnoreCase)]
    private static partial Regex ScriptTag();
}
