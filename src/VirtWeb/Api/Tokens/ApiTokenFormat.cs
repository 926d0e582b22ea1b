using System.Security.Cryptography;
using System.Text;

namespace VirtWeb.Api.Tokens;

/// <summary>
/// <c>vwt_{installation tag}_{token id}_{secret}</c>: the part before the secret identifies the token in lists and logs;
/// the secret is 256 random bits, shown once and stored only as a SHA-256 hash (with the installation id).
/// </summary>
public static class ApiTokenFormat
{
    public const string Scheme = "vwt";

    public readonly record struct Parsed(string Tag, Guid Id, string Secret)
    {
        public string Prefix => PrefixOf(Tag, Id);
    }

    public static string PrefixOf(string tag, Guid id) => $"{Scheme}_{tag}_{id:N}";

    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Compose(string tag, Guid id, string secret) => $"{PrefixOf(tag, id)}_{secret}";

    public static byte[] Hash(string installationId, string secret) =>
        SHA256.HashData(Encoding.UTF8.GetBytes($"{installationId}:{secret}"));

    /// <summary>The token's parts, or null when it is not a VirtWeb token at all.</summary>
    public static Parsed? Parse(string? token)
    {
        // The secret is base64url and may itself hold '_': split off the first three parts only.
        var parts = token?.Trim().Split('_', 4);
        return parts is [Scheme, { Length: 8 } tag, var id, { Length: 43 } secret]
            && Guid.TryParseExact(id, "N", out var tokenId)
            && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? new Parsed(tag, tokenId, secret)
            : null;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
