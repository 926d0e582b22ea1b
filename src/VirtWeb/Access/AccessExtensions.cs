using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using VirtWeb.Account;
using VirtWeb.Data;

namespace VirtWeb.Access;

public static class AccessExtensions
{
    public static IHostApplicationBuilder AddAccess(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<BootstrapOptions>(builder.Configuration.GetSection(BootstrapOptions.SectionName));

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
            options.Cookie.Name = "VirtWeb.Auth";
            options.Cookie.HttpOnly = true;
            options.Cookie.SameSite = SameSiteMode.Strict;
        });

        // Deny by default: every endpoint needs a signed-in user unless it says otherwise.
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

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

        services.AddSingleton<AuditLog>();
        services.AddSingleton<AuditSearch>();
        services.AddSingleton<AccessControl>();
        services.AddHostedService(provider => provider.GetRequiredService<AccessControl>());
        services.AddSingleton<GrantDirectory>();
        services.AddScoped<IdentitySeeder>();
        services.AddScoped<UserDirectory>();
        services.AddScoped<UserPreferences>();
        return builder;
    }
}
