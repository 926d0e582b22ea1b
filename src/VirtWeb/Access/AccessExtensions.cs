using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;
using VirtWeb.Account;

namespace VirtWeb.Access;

public static class AccessExtensions
{
    public static IHostApplicationBuilder AddAccess(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<BootstrapOptions>(builder.Configuration.GetSection(BootstrapOptions.SectionName));
        services.Configure<AccessOptions>(builder.Configuration.GetSection(AccessOptions.SectionName));
        var urls = (builder.Configuration["Urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var httpsOnly = builder.Configuration.GetValue<bool?>($"{AccessOptions.SectionName}:{nameof(AccessOptions.HttpsOnly)}")
            ?? (urls.Length > 0 && urls.All(url => url.StartsWith("https://", StringComparison.OrdinalIgnoreCase)));
        var cookiePrefix = httpsOnly ? "__Host-" : "";
        var securePolicy = httpsOnly ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;

        services.AddCascadingAuthenticationState();
        services.AddScoped<IdentityRedirectManager>();
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();

        services.AddAuthentication(options =>
            {
                options.DefaultScheme = IdentityConstants.ApplicationScheme;
                options.DefaultSignInScheme = IdentityConstants.ExternalScheme;
            })
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(options =>
        {
            options.LoginPath = "/Account/Login";
            options.AccessDeniedPath = "/Account/AccessDenied";
            options.Cookie.Name = cookiePrefix + "VirtWeb.Auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = securePolicy;
            options.Cookie.Path = "/";
        });
        services.AddAntiforgery(options =>
        {
            options.Cookie.Name = cookiePrefix + "VirtWeb.Antiforgery";
            options.Cookie.SecurePolicy = securePolicy;
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.Path = "/";
        });

        // Deny by default: every endpoint needs a signed-in user unless it says otherwise.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddAccessPagePolicies();
        services.AddSingleton<IAuthorizationHandler, ManageAccessHandler>();

        services.AddIdentityCore<ApplicationUser>(options =>
            {
                options.SignIn.RequireConfirmedAccount = false;
                options.User.RequireUniqueEmail = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = 5;
                options.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(5);
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<VirtWebDbContext>()
            .AddSignInManager<VirtWebSignInManager>()
            .AddClaimsPrincipalFactory<VirtWebClaimsFactory>()
            .AddDefaultTokenProviders();

        // Cookies are re-checked against the account every minute: a disabled account or a reset password stops working
        // on plain HTTP requests as quickly as on open circuits.
        services.Configure<SecurityStampValidatorOptions>(options => options.ValidationInterval = TimeSpan.FromMinutes(1));

        services.AddAccessServices();
        services.AddHostedService(provider => provider.GetRequiredService<AccessControl>());
        return builder;
    }

    /// <summary>Access control, grants, users and the audit trail, without sign-in, cookies or grant reloading.</summary>
    public static IServiceCollection AddAccessServices(this IServiceCollection services)
    {
        services.AddSingleton<AuditLog>();
        services.AddSingleton<VirtWeb.Degraded.DatabaseHealth>();
        services.AddSingleton<AuditSearch>();
        services.AddSingleton<AccessControl>();
        services.TryAddSingleton<IAccessChanges, LocalAccessChanges>();
        services.AddSingleton<GrantDirectory>();
        services.AddScoped<IdentitySeeder>();
        services.AddScoped<UserDirectory>();
        services.AddScoped<UserPreferences>();
        return services;
    }
}
