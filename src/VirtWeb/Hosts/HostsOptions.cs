namespace VirtWeb.Hosts;

public sealed class HostsOptions
{
    public const string SectionName = "Hosts";

    /// <summary>Add libvirt's in-process test driver as a demo host on the first run.</summary>
    public bool AddDemoHost { get; set; } = true;

    /// <summary>Add qemu:///system the first time a local libvirtd answers at start-up.</summary>
    public bool AddLocalQemu { get; set; } = true;

    /// <summary>Add lxc:/// (the local libvirtd's container driver) the first time it answers at start-up.</summary>
    public bool AddLocalLxc { get; set; } = true;

    /// <summary>
    /// The private key the ssh, libssh and libssh2 transports use, appended by VirtWeb as <c>keyfile=</c> to the URI
    /// it opens. Only the server's configuration names files: a URI typed in the web UI may not.
    /// </summary>
    public string? SshKeyFile { get; set; }

    /// <summary>The known_hosts file the libssh and libssh2 transports check host keys against (<c>known_hosts=</c>).</summary>
    public string? KnownHostsFile { get; set; }

    /// <summary>The directory of the TLS client certificate, key and CA (<c>pkipath=</c>) for tls connections.</summary>
    public string? PkiPath { get; set; }

    /// <summary>
    /// A directory whose files may be opened as test-driver worlds (<c>test:///that-directory/world.xml</c>). Unset,
    /// the test driver is allowed only as <c>test:///default</c>.
    /// </summary>
    public string? TestDriverDirectory { get; set; }

    /// <summary>
    /// The socket of the libvirtd that local URIs (no host: qemu:///system, qemu:///session, lxc:///) reach, added by
    /// VirtWeb as <c>+unix</c> and <c>socket=</c> to the URI it opens. Unset, libvirt's standard socket. A test that
    /// freezes a libvirtd sets it to a private daemon's, so the machine's shared libvirtd is never stopped.
    /// </summary>
    public string? LocalSocket { get; set; }
}
