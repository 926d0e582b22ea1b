using Microsoft.AspNetCore.Identity;

namespace VirtWeb.Data;

public sealed class ApplicationUser : IdentityUser
{
    /// <summary>The user's colour scheme; null follows the browser.</summary>
    public bool? PrefersDarkMode { get; set; }

    /// <summary>An Administrator disabled the account: it cannot sign in, and open sessions end at revalidation.</summary>
    public bool IsDisabled { get; set; }

    /// <summary>The password was set by an Administrator; the user must choose their own before anything else.</summary>
    public bool MustChangePassword { get; set; }
}
