// Transcribed once from the libvirt 9.0 headers (libvirt-dev) by a throwaway script; the values
// are libvirt's stable ABI, so new libvirt releases only ever append members.
namespace VirtWeb.Libvirt;

[Flags]
public enum ConnectFlags
{
    None = 0,
    ReadOnly = 1,
    NoAliases = 2,
}

public enum CredentialType
{
    Username = 1,
    AuthName = 2,
    Language = 3,
    CNonce = 4,
    Passphrase = 5,
    EchoPrompt = 6,
    NoEchoPrompt = 7,
    Realm = 8,
    External = 9,
}

public enum ConnectionCloseReason
{
    Error = 0,
    Eof = 1,
    Keepalive = 2,
    Client = 3,
}

