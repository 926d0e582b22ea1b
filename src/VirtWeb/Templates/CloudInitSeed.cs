using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace VirtWeb.Templates;

/// <summary>
/// What the deploy dialog asks for cloud-init. <see cref="Password"/> is plain text here only: it is hashed (SHA-512
/// crypt) before anything leaves VirtWeb and never logged or audited.
/// </summary>
public sealed record CloudInitInput(
    string? HostName = null,
    string? User = null,
    string? Password = null,
    IReadOnlyList<string>? SshKeys = null,
    IReadOnlyList<string>? Packages = null,
    string? UserData = null);

/// <summary>The NoCloud seed files for one guest, and the preview of them with the password hash masked.</summary>
public sealed record CloudInitFiles(string MetaData, string UserData, string NetworkConfig)
{
    public const string MaskedHash = "******** (SHA-512 crypt hash of the password)";

    public IEnumerable<(string Name, string Content)> All => [("meta-data", MetaData), ("user-data", UserData), ("network-config", NetworkConfig)];
}

/// <summary>
/// Builds cloud-init's NoCloud files: <c>meta-data</c> (its own instance-id, so cloud-init runs its first boot modules
/// on every deployed guest, and the host name), <c>user-data</c> (the form's host name, user, password hash, SSH keys,
/// packages, then the operator's own validated cloud-config keys) and <c>network-config</c> (version 2: DHCP on every
/// ethernet NIC, matched by driver-independent name patterns, since the template's NIC names are unknown).
/// </summary>
public static partial class CloudInitSeed
{
    /// <summary>RFC 1123 host name labels; cloud-init sets what it gets, so a bad one would break the guest's name.</summary>
    [GeneratedRegex("^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")]
    private static partial Regex HostNamePattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex UserPattern();

    [GeneratedRegex("^(ssh-(rsa|ed25519|dss)|ecdsa-sha2-nistp(256|384|521)|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\\.com) [A-Za-z0-9+/=]+( .*)?$")]
    private static partial Regex SshKeyPattern();

    [GeneratedRegex("^[a-zA-Z0-9][a-zA-Z0-9+.:~=_-]*$")]
    private static partial Regex PackagePattern();

    /// <summary>
    /// Checks everything in <paramref name="input"/> that does not depend on the guest (host name form, user, keys,
    /// packages, the user-data) and returns the operator's user-data keys, or throws <see cref="DeployInputException"/>.
    /// </summary>
    public static YamlMappingNode Validate(CloudInitInput input)
    {
        if (input.User is { Length: > 0 } user && !UserPattern().IsMatch(user))
        {
            throw new DeployInputException($"The user name '{user}' is not a Linux login name; use lowercase letters, digits, '_' and '-', starting with a letter (at most 32).");
        }

        if (input.Password is { Length: > 0 } && input.User is not { Length: > 0 })
        {
            throw new DeployInputException("A password needs a user to belong to; fill in the user name too.");
        }

        foreach (var key in input.SshKeys ?? [])
        {
            if (!SshKeyPattern().IsMatch(key.Trim()))
            {
                throw new DeployInputException($"'{Shorten(key)}' is not an OpenSSH public key line (such as 'ssh-ed25519 AAAA… comment'); paste the .pub file's line.");
            }
        }

        foreach (var package in input.Packages ?? [])
        {
            if (!PackagePattern().IsMatch(package))
            {
                throw new DeployInputException($"'{Shorten(package)}' is not a package name; list one package per line.");
            }
        }

        var own = input.UserData is { Length: > 0 } text && text.Trim().Length > 0 ? CloudConfigValidator.Validate(text) : new YamlMappingNode();
        foreach (var generated in new[] { "hostname", "users", "packages", "ssh_pwauth" })
        {
            if (own.Children.ContainsKey(new YamlScalarNode(generated)) && Generates(input, generated))
            {
                throw new DeployInputException($"The user-data sets '{generated}', which the form sets too; keep it in one place (clear the form's field, or remove the key).");
            }
        }

        return own;
    }

    /// <summary>The host name a guest gets: the form's (numbered like the guests when several are deployed) or the guest's name.</summary>
    public static string HostNameFor(CloudInitInput input, string guestName, int index, int count)
    {
        var name = input.HostName is { Length: > 0 } h ? (count > 1 ? $"{h}-{index}" : h) : guestName;
        if (!HostNamePattern().IsMatch(name))
        {
            throw new DeployInputException($"'{Shorten(name)}' is not a valid host name; use letters, digits and '-' (labels of at most 63, separated by dots).");
        }

        return name;
    }

    /// <summary>The three files; <paramref name="passwordHash"/> is already the crypt hash (or null), never the password.</summary>
    public static CloudInitFiles Build(CloudInitInput input, YamlMappingNode own, string hostName, string instanceId, string? passwordHash)
    {
        var metaData = $"instance-id: {instanceId}\nlocal-hostname: {hostName}\n";
        var root = new YamlMappingNode();
        if (!own.Children.ContainsKey(new YamlScalarNode("hostname")))
        {
            root.Add("hostname", hostName);
        }

        if (input.User is { Length: > 0 } user)
        {
            var entry = new YamlMappingNode
            {
                { "name", user },
                { "shell", "/bin/bash" },
                { "groups", new YamlSequenceNode(new YamlScalarNode("sudo")) },
                { "sudo", "ALL=(ALL) NOPASSWD:ALL" },
                { "lock_passwd", passwordHash is null ? "true" : "false" },
            };
            if (passwordHash is not null)
            {
                entry.Add("passwd", passwordHash);
            }

            if (input.SshKeys is { Count: > 0 } keys)
            {
                entry.Add("ssh_authorized_keys", new YamlSequenceNode(keys.Select(k => new YamlScalarNode(k.Trim()))));
            }

            root.Add("users", new YamlSequenceNode(new YamlScalarNode("default"), entry));
            if (passwordHash is not null)
            {
                root.Add("ssh_pwauth", "true");
            }
        }
        else if (input.SshKeys is { Count: > 0 } keys)
        {
            // Without a user of its own, the keys go to the image's default user.
            root.Add("ssh_authorized_keys", new YamlSequenceNode(keys.Select(k => new YamlScalarNode(k.Trim()))));
        }

        if (input.Packages is { Count: > 0 } packages)
        {
            root.Add("packages", new YamlSequenceNode(packages.Select(p => new YamlScalarNode(p))));
        }

        foreach (var (key, value) in own.Children)
        {
            root.Add(key, value);
        }

        var userData = new StringBuilder(CloudConfigValidator.Header).Append('\n');
        using (var writer = new StringWriter(userData))
        {
            new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        }

        // YamlDotNet ends the document with "...": valid YAML, but noise in a file people read.
        var text = userData.ToString().TrimEnd();
        if (text.EndsWith("...", StringComparison.Ordinal))
        {
            text = text[..^3].TrimEnd();
        }

        const string networkConfig = "version: 2\nethernets:\n  all-en:\n    match:\n      name: \"en*\"\n    dhcp4: true\n  all-eth:\n    match:\n      name: \"eth*\"\n    dhcp4: true\n";
        return new CloudInitFiles(metaData, text + "\n", networkConfig);
    }

    /// <summary>The files as the preview shows them: exactly what the guest receives, with the password hash masked.</summary>
    public static CloudInitFiles Masked(CloudInitFiles files, string? passwordHash) =>
        passwordHash is null ? files : files with { UserData = files.UserData.Replace(passwordHash, CloudInitFiles.MaskedHash, StringComparison.Ordinal) };

    private static bool Generates(CloudInitInput input, string key) => key switch
    {
        "hostname" => input.HostName is { Length: > 0 },
        "users" or "ssh_pwauth" => input.User is { Length: > 0 },
        "packages" => input.Packages is { Count: > 0 },
        _ => false,
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
