using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace VirtWeb.Templates;

/// <summary>A refused deploy input (user-data, names, counts, sizes), with what is wrong and what to do. Nothing was made.</summary>
public sealed class DeployInputException(string message) : Exception(message);

/// <summary>
/// Checks an operator's own user-data before anything is created: the <c>#cloud-config</c> header cloud-init needs to
/// read it as cloud-config, a size limit, YAML syntax (YamlDotNet), a mapping at the top, and top-level keys cloud-init's
/// modules know (a typo such as <c>packges</c> would otherwise be ignored silently by the guest).
/// </summary>
public static class CloudConfigValidator
{
    public const string Header = "#cloud-config";

    /// <summary>64 KiB: far above any hand-written cloud-config, and the seed stays a small CD-ROM.</summary>
    public const int MaxBytes = 64 * 1024;

    /// <summary>Top-level keys of cloud-init's cloud-config modules and base configuration (cloud-init 23/24 documentation).</summary>
    public static readonly IReadOnlySet<string> KnownKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "ansible", "apk_repos", "apt", "apt_pipelining", "apt_reboot_if_required", "apt_update", "apt_upgrade", "autoinstall",
        "bootcmd", "byobu_by_default", "ca_certs", "ca-certs", "chef", "chpasswd", "cloud_config_modules", "cloud_final_modules",
        "cloud_init_modules", "create_hostname_file", "datasource", "datasource_list", "device_aliases", "disable_ec2_metadata",
        "disable_root", "disable_root_opts", "disk_setup", "drivers", "fan", "final_message", "fqdn", "fs_setup", "groups",
        "growpart", "grub_dpkg", "grub-dpkg", "hostname", "keyboard", "landscape", "locale", "locale_configfile", "lxd",
        "manage_etc_hosts", "manage_resolv_conf", "mcollective", "merge_how", "merge_type", "mount_default_fields", "mounts",
        "no_ssh_fingerprints", "ntp", "output", "package_reboot_if_required", "package_update", "package_upgrade", "packages",
        "password", "phone_home", "power_state", "prefer_fqdn_over_hostname", "preserve_hostname", "puppet", "random_seed",
        "reporting", "resize_rootfs", "resolv_conf", "rh_subscription", "rsyslog", "runcmd", "salt_minion", "snap", "spacewalk",
        "ssh", "ssh_authorized_keys", "ssh_deletekeys", "ssh_fp_console_blacklist", "ssh_genkeytypes", "ssh_import_id",
        "ssh_key_console_blacklist", "ssh_keys", "ssh_publish_hostkeys", "ssh_pwauth", "ssh_quiet_keygen", "swap", "system_info",
        "timezone", "ubuntu_advantage", "ubuntu_pro", "updates", "user", "users", "vendor_data", "wireguard", "write_files",
        "yum_repo_dir", "yum_repos", "zypper",
    };

    /// <summary>The parsed top-level mapping of valid user-data; throws <see cref="DeployInputException"/> naming the problem.</summary>
    public static YamlMappingNode Validate(string userData)
    {
        var bytes = System.Text.Encoding.UTF8.GetByteCount(userData);
        if (bytes > MaxBytes)
        {
            throw new DeployInputException($"The user-data is {bytes / 1024} KiB; keep it under {MaxBytes / 1024} KiB (fetch large files from the guest with runcmd or write_files instead).");
        }

        var firstLine = userData.TrimStart('\uFEFF').Split('\n', 2)[0].TrimEnd('\r', ' ', '\t');
        if (firstLine != Header)
        {
            throw new DeployInputException($"The user-data must start with the line '{Header}' (cloud-init ignores cloud-config without it); its first line is '{Shorten(firstLine)}'.");
        }

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(userData));
        }
        catch (YamlException e)
        {
            throw new DeployInputException($"The user-data is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {(e.InnerException ?? e).Message} Fix it and try again.");
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's scanner gives up this way on some unclosed flow collections ("[a" followed by more lines).
            throw new DeployInputException($"The user-data is not valid YAML: the parser stopped ({e.Message}). Check for an unclosed '[', '{{' or quote.");
        }

        if (stream.Documents.Count == 0)
        {
            return new YamlMappingNode();
        }

        if (stream.Documents.Count > 1)
        {
            throw new DeployInputException("The user-data holds several YAML documents ('---'); cloud-config is one mapping.");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new DeployInputException("The user-data's top level must be a mapping of cloud-config keys (such as 'packages:' or 'runcmd:'), not a list or a single value.");
        }

        var unknown = root.Children.Keys.Select(k => (k as YamlScalarNode)?.Value ?? "?").Where(k => !KnownKeys.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new DeployInputException($"The user-data has top-level key(s) cloud-init does not know: {string.Join(", ", unknown.Select(Shorten))}. Check the spelling (see cloud-init's module reference).");
        }

        return root;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
