namespace VirtWeb.Images;

/// <summary>A refused or failed image action; the message names the problem and what to do, and the UI shows it.</summary>
public sealed class ImageException(string message, ImageFailure failure = ImageFailure.Invalid)
    : RefusedException<ImageFailure>(message, failure);

public enum ImageFailure
{
    /// <summary>The request itself is wrong (a bad name, a size of 0).</summary>
    Invalid,

    /// <summary>The request is fine but the state forbids it (in use, already deleted, name taken).</summary>
    Conflict,

    /// <summary>It does not fit (beyond the pool, larger than the volume).</summary>
    TooLarge,

    /// <summary>The volume, pool or host is gone.</summary>
    NotFound,

    /// <summary>VirtWeb's storage roots forbid it (a pool outside them); audited as Denied, like a missing right.</summary>
    Forbidden,
}
