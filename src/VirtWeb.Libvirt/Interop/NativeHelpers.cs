using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VirtWeb.Libvirt.Interop;

internal static unsafe class NativeHelpers
{
    private const int UuidStringBufferLength = 37; // VIR_UUID_STRING_BUFLEN

    private static readonly Lock s_initLock = new();
    private static bool s_initialized;

    /// <summary>
    /// virInitialize, and a no-op global error handler: without one libvirt prints every error to
    /// stderr even though we turn each into an exception.
    /// </summary>
    internal static void EnsureInitialized()
    {
        lock (s_initLock)
        {
            if (s_initialized)
            {
                return;
            }
            if (Native.virInitialize() < 0)
            {
                throw LastError("virInitialize");
            }
            Native.virSetErrorFunc(0, &IgnoreError);
            s_initialized = true;
        }
    }

    [UnmanagedCallersOnly]
    private static void IgnoreError(nint userData, VirError* error)
    {
    }

    /// <summary>
    /// Reads the calling thread's libvirt error. Must run right after the failed call on the same
    /// thread: every libvirt API (virDomainFree included) resets it on entry.
    /// </summary>
    internal static LibvirtException LastError(string operation)
    {
        var error = Native.virGetLastError();
        if (error == null)
        {
            return new LibvirtException(LibvirtErrorCode.InternalError, LibvirtErrorDomain.None, $"{operation} failed without reporting an error");
        }
        var message = Utf8(error->Message) ?? $"{operation} failed";
        var exception = new LibvirtException((LibvirtErrorCode)error->Code, (LibvirtErrorDomain)error->Domain, message);
        Native.virResetLastError();
        return exception;
    }

    internal static int Check(int result, [CallerArgumentExpression(nameof(result))] string operation = "")
    {
        if (result < 0)
        {
            throw LastError(Operation(operation));
        }
        return result;
    }

    internal static T Check<T>(T handle, [CallerArgumentExpression(nameof(handle))] string operation = "")
        where T : LibvirtHandle
    {
        if (handle.IsInvalid)
        {
            var exception = LastError(Operation(operation));
            handle.Dispose();
            throw exception;
        }
        return handle;
    }

    /// <summary>Copies and frees a string the caller owns.</summary>
    internal static string TakeString(nint result, [CallerArgumentExpression(nameof(result))] string operation = "")
    {
        if (result == 0)
        {
            throw LastError(Operation(operation));
        }
        try
        {
            return Marshal.PtrToStringUTF8(result) ?? string.Empty;
        }
        finally
        {
            NativeMemory.Free((void*)result);
        }
    }

    /// <summary>Copies a string that stays owned by libvirt.</summary>
    internal static string BorrowString(nint result, [CallerArgumentExpression(nameof(result))] string operation = "")
    {
        if (result == 0)
        {
            throw LastError(Operation(operation));
        }
        return Marshal.PtrToStringUTF8(result) ?? string.Empty;
    }

    internal static string? Utf8(byte* value) => value == null ? null : Marshal.PtrToStringUTF8((nint)value);

    internal static Guid ReadUuid(delegate* managed<nint, byte*, int> getter, nint obj, string operation)
    {
        var buffer = stackalloc byte[UuidStringBufferLength];
        if (getter(obj, buffer) < 0)
        {
            throw LastError(operation);
        }
        return Guid.Parse(Marshal.PtrToStringUTF8((nint)buffer)!);
    }

    /// <summary>libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release.</summary>
    internal static Version DecodeVersion(ulong encoded) =>
        new((int)(encoded / 1_000_000), (int)(encoded / 1_000 % 1_000), (int)(encoded % 1_000));

    /// <summary>Adopts every element of a malloc'd array of object references, then frees the array.</summary>
    internal static List<T> AdoptArray<T>(nint* array, int count, Func<nint, T> adopt)
    {
        var result = new List<T>(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                result.Add(adopt(array[i]));
            }
        }
        finally
        {
            NativeMemory.Free(array);
        }
        return result;
    }

    // "Native.virDomainCreate(_handle)" -> "virDomainCreate": keeps exception messages readable.
    private static string Operation(string expression)
    {
        var start = expression.IndexOf("vir", StringComparison.Ordinal);
        var end = expression.IndexOf('(', Math.Max(start, 0));
        return start >= 0 && end > start ? expression[start..end] : expression;
    }
}
