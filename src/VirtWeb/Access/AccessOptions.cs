namespace VirtWeb.Access;

/// <summary>The <c>Access</c> settings: how strict sign-in is.</summary>
public sealed class AccessOptions
{
    public const string SectionName = "Access";

    /// <summary>Administrators must set up an authenticator app before they can use anything else.</summary>
    public bool RequireTwoFactorForAdministrators { get; set; } = true;

    /// <summary>
    /// VirtWeb is reached only over HTTPS (it serves HTTPS itself, or sits behind a proxy that does): cookies then carry
    /// the <c>__Host-</c> prefix and Secure, so no other site on the domain and no plain-HTTP request can set or read
    /// them. Left unset, it follows the configured URLs. Browsers drop <c>__Host-</c> cookies sent over plain HTTP,
    /// which is why a plain-HTTP VirtWeb cannot use them.
    /// </summary>
    public bool? HttpsOnly { get; set; }
}
