namespace VirtWeb.Libvirt.Interop;

/// <summary>
/// What a domain, pool or volume object holds: its connection and its handle, each use of which is one libvirt call
/// counted on the connection (see <see cref="LibvirtConnection.CallCount"/>).
/// </summary>
internal sealed class CountedHandle<THandle>
    where THandle : LibvirtHandle
{
    private readonly LibvirtConnection _connection;
    private readonly THandle _handle;

    public CountedHandle(LibvirtConnection connection, THandle handle)
    {
        _connection = connection;
        _handle = handle;
        // Calls with this object's handle take its connection's gate (see GatedCall).
        handle.Gate = connection.Handle.Gate;
    }

    public LibvirtConnection Connection => _connection;

    /// <summary>The handle itself, to pass as an argument of another object's call (counted there).</summary>
    public THandle Handle => _handle;

    /// <summary>The handle for one libvirt call.</summary>
    public THandle Counted
    {
        get
        {
            _connection.CountCall();
            return _handle;
        }
    }

    /// <summary>The raw pointer for one libvirt call that takes one; the handle cannot be released while it runs.</summary>
    public T WithPointer<T>(Func<nint, T> use)
    {
        var added = false;
        try
        {
            _connection.CountCall();
            _handle.DangerousAddRef(ref added);
            return use(_handle.DangerousGetHandle());
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }

    public void Dispose() => _handle.Dispose();
}
