using Microsoft.Extensions.Options;

namespace VirtWeb.Tests.Hosts;

public sealed class HostUriPolicyTests : IDisposable
{
    private readonly DirectoryInfo _worlds = Directory.CreateTempSubdirectory("virtweb-policy-worlds-");
    private readonly DirectoryInfo _outside = Directory.CreateTempSubdirectory("virtweb-policy-outside-");

    private static HostUriPolicy Strict { get; } = new(Options.Create(new HostsOptions()));

    private HostUriPolicy WithWorlds => new(Options.Create(new HostsOptions { TestDriverDirectory = _worlds.FullName }));

    [Theory]
    [InlineData("qemu+ext:///system?command=/bin/true", "ext transport")]
    [InlineData("qemu+ssh://h/system?command=/bin/true", "'command'")]
    [InlineData("qemu+ssh://h/system?netcat=/bin/true", "'netcat'")]
    [InlineData("qemu+ssh://h/system?keyfile=/etc/shadow", "Hosts:SshKeyFile")]
    [InlineData("qemu+libssh2://h/system?known_hosts=/etc/shadow", "Hosts:KnownHostsFile")]
    [InlineData("qemu+tls://h/system?pkipath=/etc", "Hosts:PkiPath")]
    [InlineData("qemu:///system?socket=/tmp/x", "'socket'")]
    [InlineData("qemu+unix:///system?socket=/tmp/x", "'socket'")]
    [InlineData("qemu:///embed?root=/tmp/x", "'root'")]
    [InlineData("test:///etc/shadow", "only test:///default")]
    [InlineData("test:///../../etc/passwd", "only test:///default")]
    [InlineData("test:///default?x=1", "no parameters")]
    [InlineData("test+ssh://h/default", "without a transport or host")]
    [InlineData("qemu+ssh://h/system?command%3D/bin/true", "'command'")]
    [InlineData("qemu+ssh://h/system?%63ommand=/bin/true", "'command'")]
    [InlineData("qemu+ssh://h/system?Command=/bin/true", "'command'")]
    [InlineData("qemu+ssh://h/system?NETCAT=/bin/true", "'netcat'")]
    [InlineData("qemu+ssh://h/system?no_tty=1;command=/bin/true", "';'")]
    [InlineData("qemu+ssh://h/system?no_tty=1&&mode=auto", "empty parameter")]
    [InlineData("qemu+ssh://h/system?no_tty=1&", "empty parameter")]
    [InlineData("qemu+ssh://h/system?=1", "no name")]
    [InlineData("qemu+ssh://h/system?no_tty=1&NO_TTY=0", "'no_tty' is given twice")]
    [InlineData("qemu+ssh://h/system?no_tty=%zz", "two hex digits")]
    [InlineData("qemu+ssh://h/system?no_tty=1#frag", "fragment")]
    [InlineData("qemu+ssh://h/system?no_tty=yes", "'no_tty' must be 0 or 1")]
    [InlineData("qemu+ssh://h/system?no_tty=1%00", "control character")]
    [InlineData("qemu+ssh://h/system?known_hosts_verify=ignore", "'known_hosts_verify' is not allowed on the ssh transport")]
    [InlineData("qemu:///system?name=test:///etc/shadow", "'name' is not allowed on local connections")]
    [InlineData("qemu+ssh://h/system?name=test:///etc/shadow", "'name' must be")]
    [InlineData("qemu+ssh://-oProxyCommand=x/system", "starts with '-'")]
    [InlineData("qemu+ssh://-l@h/system", "may not start with '-'")]
    [InlineData("qemu:///sys%3Fcommand=x", "path")]
    [InlineData("vmwarews:///session?x=1", "'x' is not allowed on local connections")]
    public void Check_DangerousOrAmbiguousUri_RefusedNamingWhy(string uri, string expected)
    {
        var verdict = Strict.Check(uri);

        Assert.False(verdict.Allowed);
        Assert.True(verdict.Refused, verdict.Problem);
        Assert.Contains(expected, verdict.Problem);
        Assert.Null(verdict.ConnectUri);
    }

    [Theory]
    [InlineData("qemu:///system")]
    [InlineData("qemu:///session?mode=direct")]
    [InlineData("test:///default")]
    [InlineData("qemu+ssh://root@host/system?no_tty=1")]
    [InlineData("qemu+ssh://root@host:2222/system?no_tty=1&no_verify=1&mode=legacy&proxy=native")]
    [InlineData("qemu+libssh2://root@host/system?known_hosts_verify=auto&sshauth=agent,privkey")]
    [InlineData("qemu+tls://host/system?no_verify=1")]
    [InlineData("qemu+tcp://10.0.0.5:16509/system")]
    [InlineData("xen+ssh://root@[2001:db8::5]/?name=xen:///system")]
    [InlineData("esx://root@esx1.example/?no_verify=1&transport=https")]
    [InlineData("vpx://vcenter.example/dc1/cluster%20a/esx1?no_verify=1")]
    [InlineData("hyperv://admin@hv1.example/?transport=http")]
    [InlineData("qemu+ssh://h/system?")]
    public void Check_WhatOperatorsNeed_AllowedAndOpenedAsTyped(string uri)
    {
        var verdict = Strict.Check(uri);

        Assert.True(verdict.Allowed, verdict.Problem);
        Assert.Equal(uri, verdict.ConnectUri);
    }

    [Theory]
    [InlineData("qemu+ssh://h/system", "qemu+ssh://h/system?keyfile=%2Fsrv%2Fkeys%2Fid%20ed")]
    [InlineData("qemu+ssh://h/system?", "qemu+ssh://h/system?keyfile=%2Fsrv%2Fkeys%2Fid%20ed")]
    [InlineData("qemu+libssh://h/system?mode=auto", "qemu+libssh://h/system?mode=auto&keyfile=%2Fsrv%2Fkeys%2Fid%20ed&known_hosts=%2Fsrv%2Fknown")]
    [InlineData("qemu://h/system", "qemu://h/system?pkipath=%2Fsrv%2Fpki")]
    [InlineData("qemu+tls://h/system?no_verify=0", "qemu+tls://h/system?no_verify=0&pkipath=%2Fsrv%2Fpki")]
    [InlineData("qemu:///system", "qemu:///system")]
    [InlineData("qemu+tcp://h/system", "qemu+tcp://h/system")]
    public void Check_ServerFilesConfigured_AppendedToTheUriOpenedOnly(string uri, string opened)
    {
        var policy = new HostUriPolicy(Options.Create(new HostsOptions
        {
            SshKeyFile = "/srv/keys/id ed",
            KnownHostsFile = "/srv/known",
            PkiPath = "/srv/pki",
        }));

        Assert.Equal(opened, policy.Check(uri).ConnectUri);
    }

    [Theory]
    [InlineData("qemu:///session", "qemu+unix:///session?socket=%2Fsrv%2Fd%2Flibvirt-sock")]
    [InlineData("qemu+unix:///system", "qemu+unix:///system")] // an explicit transport is another kind (HostUriKind), left as typed
    [InlineData("lxc:///", "lxc+unix:///?socket=%2Fsrv%2Fd%2Flibvirt-sock")]
    [InlineData("qemu+ssh://h/system", "qemu+ssh://h/system")]
    [InlineData("test:///default", "test:///default")]
    public void Check_LocalSocketConfigured_LocalUrisOpenThatSocketOnly(string uri, string opened)
    {
        var policy = new HostUriPolicy(Options.Create(new HostsOptions { LocalSocket = "/srv/d/libvirt-sock" }));

        Assert.Equal(opened, policy.Check(uri).ConnectUri);
    }

    [Fact]
    public void Check_WorldInsideTheTestDriverDirectory_AllowedByItsRealPath()
    {
        var world = Path.Combine(_worlds.FullName, "world.xml");
        File.WriteAllText(world, "<node/>");

        var verdict = WithWorlds.Check($"test://{_worlds.FullName}/./sub/../world.xml");

        Assert.True(verdict.Allowed, verdict.Problem);
        Assert.Equal($"test://{HostUriPolicy.RealPath(world)}", verdict.ConnectUri);
    }

    [Fact]
    public void Check_TestDriverDirectoryUnset_OnlyTheDefaultWorld()
    {
        var world = Path.Combine(_worlds.FullName, "world.xml");
        File.WriteAllText(world, "<node/>");

        Assert.True(Strict.Check(HostUriPolicy.DefaultTestUri).Allowed);
        Assert.Contains("Hosts:TestDriverDirectory", Strict.Check($"test://{world}").Problem);
    }

    [Fact]
    public void Check_WorldEscapingTheDirectory_Refused()
    {
        var secret = Path.Combine(_outside.FullName, "secret.xml");
        File.WriteAllText(secret, "<node/>");
        File.CreateSymbolicLink(Path.Combine(_worlds.FullName, "link.xml"), secret);
        Directory.CreateSymbolicLink(Path.Combine(_worlds.FullName, "dir-link"), _outside.FullName);
        Directory.CreateDirectory(Path.Combine(_worlds.FullName, "sub"));
        File.CreateSymbolicLink(Path.Combine(_worlds.FullName, "sub", "up"), "../..");

        string[] escapes =
        [
            $"test://{secret}",
            $"test://{_worlds.FullName}/../{_outside.Name}/secret.xml",
            $"test://{_worlds.FullName}/link.xml",
            $"test://{_worlds.FullName}/dir-link/secret.xml",
            $"test://{_worlds.FullName}/sub/up/{_outside.Name}/secret.xml",
            $"test://{_worlds.FullName}%2F..%2F{_outside.Name}%2Fsecret.xml",
            "test:///etc/shadow",
            $"test://{_worlds.FullName}",
        ];

        Assert.All(escapes, uri =>
        {
            var verdict = WithWorlds.Check(uri);
            Assert.True(verdict.Refused, $"{uri}: {verdict.Problem}");
            Assert.Contains("outside the server's test-driver directory", verdict.Problem);
        });
    }

    [Fact]
    public void Check_MistypedUri_MalformedNotRefused()
    {
        Assert.False(Strict.Check("carrier:///system").Refused);
        Assert.False(Strict.Check("qemu+pigeon://h/system").Refused);
        Assert.Contains("lower case", Strict.Check("QEMU:///system").Problem);
        Assert.Contains("not a DNS name", Strict.Check("qemu+ssh://bad!host/system").Problem);
        Assert.Contains("port", Strict.Check("qemu+tcp://h:99999/system").Problem);
    }

    public void Dispose()
    {
        _worlds.Delete(recursive: true);
        _outside.Delete(recursive: true);
    }
}
