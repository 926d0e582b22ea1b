using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace VirtWeb.Degraded;

public static class DegradedExtensions
{
    /// <summary>The database-health signal's probe and the cookie check that survives an outage (the signal itself is an access service).</summary>
    public static IHostApplicationBuilder AddDegraded(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<DatabaseHealthProbe>();
        builder.Services.Replace(ServiceDescriptor.Scoped<ISecurityStampValidator, OutageTolerantSecurityStampValidator>());
        return builder;
    }
}
