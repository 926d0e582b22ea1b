using Microsoft.AspNetCore.Identity;

namespace VirtWeb.Data;

public sealed class ApplicationUser : IdentityUser
{
    /// <summary>The user's colour scheme; null follows the browser.</summary>
    public bool? PrefersDarkMode { get; set; }
}
