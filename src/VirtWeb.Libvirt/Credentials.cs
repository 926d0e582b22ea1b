namespace VirtWeb.Libvirt;

/// <summary>One credential libvirt asks for while opening an authenticated connection.</summary>
public sealed record CredentialRequest(CredentialType Type, string? Prompt, string? Challenge, string? DefaultResult);

/// <summary>Answers a credential request; returning null refuses it and fails the open.</summary>
public delegate string? CredentialCallback(CredentialRequest request);

public static class Credentials
{
    /// <summary>Answers user-name prompts with <paramref name="username"/> and secret prompts with <paramref name="password"/>.</summary>
    public static CredentialCallback UsernamePassword(string username, string password) => request => request.Type switch
    {
        CredentialType.Username or CredentialType.AuthName or CredentialType.EchoPrompt => username,
        CredentialType.Passphrase or CredentialType.NoEchoPrompt => password,
        _ => request.DefaultResult,
    };
}
