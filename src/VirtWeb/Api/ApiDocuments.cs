using Microsoft.OpenApi;

namespace VirtWeb.Api;

/// <summary>
/// The OpenAPI document of <c>/api/v1</c>, generated from the endpoints, and Swagger UI over it; both behind sign-in
/// (the fallback policy), and Swagger UI runs under the app's content security policy (its scripts are files).
/// </summary>
public static class ApiDocuments
{
    public const string DocumentPath = "/openapi/v1.json";
    public const string ReferencePath = "/api-docs";

    public static IServiceCollection AddApiDocuments(this IServiceCollection services) =>
        services.AddOpenApi("v1", options =>
        {
            // 3.0 rather than 3.1: what most client generators (NSwag among them) read.
            options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_0;
            options.ShouldInclude = description => description.RelativePath?.StartsWith("api/v1/", StringComparison.Ordinal) == true;
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "VirtWeb API",
                    Version = "v1",
                    Description = "Everything the pages do, with the same rights and audit. Send an API token as 'Authorization: Bearer vwt_...'.",
                };
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes["token"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An API token from your account page.",
                };
                document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("token", document)] = [] }];
                return Task.CompletedTask;
            });
        });

    public static IEndpointRouteBuilder MapApiDocuments(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(DocumentPath).RequireAuthorization();
        var reference = app.CreateApplicationBuilder();
        reference.UseSwaggerUI(options =>
        {
            options.RoutePrefix = ReferencePath.TrimStart('/');
            options.SwaggerEndpoint(DocumentPath, "VirtWeb API v1");
            options.DocumentTitle = "VirtWeb API";
        });
        var ui = reference.Build();
        app.Map(ReferencePath, ui).RequireAuthorization();
        app.Map(ReferencePath + "/{**path}", ui).RequireAuthorization();
        return app;
    }
}
