namespace VirtWeb.Libvirt;

/// <summary>A libvirt call failed; <see cref="Code"/> and <see cref="ErrorDomain"/> are libvirt's own.</summary>
public sealed class LibvirtException : Exception
{
    public LibvirtException(LibvirtErrorCode code, LibvirtErrorDomain errorDomain, string message)
        : base(message)
    {
        Code = code;
        ErrorDomain = errorDomain;
    }

    public LibvirtException(LibvirtErrorCode code, LibvirtErrorDomain errorDomain, string message, Exception innerException)
        : base(message, innerException)
    {
        Code = code;
        ErrorDomain = errorDomain;
    }

    /// <summary>The <c>virErrorNumber</c>, e.g. <see cref="LibvirtErrorCode.NoDomain"/> (42).</summary>
    public LibvirtErrorCode Code { get; }

    /// <summary>The <c>virErrorDomain</c>: which part of libvirt raised the error.</summary>
    public LibvirtErrorDomain ErrorDomain { get; }

    public override string ToString() => $"{GetType().Name} ({Code}/{ErrorDomain}): {Message}";
}
