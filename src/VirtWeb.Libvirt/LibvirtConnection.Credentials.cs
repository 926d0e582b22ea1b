using System.Runtime.InteropServices;
using VirtWeb.Libvirt.Interop;

namespace VirtWeb.Libvirt;

/// <summary>Opening with credentials: the callback libvirt calls for each credential a driver asks for.</summary>
public sealed unsafe partial class LibvirtConnection
{
    // Offered to the credential callback; what the remote and test drivers ask for.
    private static readonly int[] s_credentialTypes =
    [
        (int)CredentialType.Username, (int)CredentialType.AuthName, (int)CredentialType.Passphrase,
        (int)CredentialType.EchoPrompt, (int)CredentialType.NoEchoPrompt, (int)CredentialType.Realm,
    ];

    /// <summary>
    /// Opens <paramref name="uri"/> with <c>virConnectOpenAuth</c>; <paramref name="credentials"/> is called
    /// synchronously, on this thread, for each credential the driver asks for.
    /// </summary>
    public static LibvirtConnection Open(string uri, CredentialCallback credentials, ConnectFlags flags = ConnectFlags.None)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(credentials);
        LibvirtEventLoop.Instance.EnsureStarted();
        var state = new CredentialState(credentials);
        var stateHandle = GCHandle.Alloc(state);
        try
        {
            fixed (int* types = s_credentialTypes)
            {
                var auth = new VirConnectAuth
                {
                    CredType = types,
                    NCredType = (uint)s_credentialTypes.Length,
                    Callback = &OnCredentials,
                    CallbackData = GCHandle.ToIntPtr(stateHandle),
                };
                var handle = Native.virConnectOpenAuth(uri, &auth, (uint)flags);
                if (handle.IsInvalid)
                {
                    var error = NativeHelpers.LastError("virConnectOpenAuth");
                    handle.Dispose();
                    if (state.Failure is not null)
                    {
                        throw new LibvirtException(error.Code, error.ErrorDomain, $"{error.Message} (credential callback failed: {state.Failure.Message})", state.Failure);
                    }
                    throw error;
                }
                return new LibvirtConnection(handle);
            }
        }
        finally
        {
            stateHandle.Free();
        }
    }

    [UnmanagedCallersOnly]
    private static int OnCredentials(VirConnectCredential* credentials, uint count, nint data)
    {
        CredentialState? state = null;
        try
        {
            state = (CredentialState)GCHandle.FromIntPtr(data).Target!;
            for (var i = 0; i < count; i++)
            {
                var credential = &credentials[i];
                var request = new CredentialRequest(
                    (CredentialType)credential->Type,
                    NativeHelpers.Utf8(credential->Prompt),
                    NativeHelpers.Utf8(credential->Challenge),
                    NativeHelpers.Utf8(credential->DefResult));
                var answer = state.Callback(request);
                if (answer is null)
                {
                    return -1;
                }
                // libvirt frees the result with free(), so it must come from malloc.
                var bytes = System.Text.Encoding.UTF8.GetBytes(answer);
                var buffer = (byte*)NativeMemory.Alloc((nuint)bytes.Length + 1);
                bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
                buffer[bytes.Length] = 0;
                credential->Result = buffer;
                credential->ResultLen = (uint)bytes.Length;
            }
            return 0;
        }
        catch (Exception exception)
        {
            // Never let an exception unwind into libvirt; Open rethrows it after the failed open.
            state?.Failure = exception;
            return -1;
        }
    }

    private sealed class CredentialState(CredentialCallback callback)
    {
        public CredentialCallback Callback { get; } = callback;

        public Exception? Failure { get; set; }
    }
}
