namespace VirtWeb.Tests.Hosts;

public sealed class HostInputTests
{
    private static readonly HostUriPolicy Policy = new(Microsoft.Extensions.Options.Options.Create(new HostsOptions()));

    [Theory]
    [InlineData("test:///default")]
    [InlineData("qemu:///system")]
    [InlineData("qemu:///session")]
    [InlineData("qemu+ssh://root@kvm1.example/system?no_tty=1")]
    [InlineData("qemu+tcp://10.0.0.5:16509/system")]
    [InlineData("qemu+tls://kvm1.example/system")]
    [InlineData("xen:///system")]
    [InlineData("lxc:///system")]
    [InlineData("esx://esx1.example/?no_verify=1")]
    [InlineData("vbox:///session")]
    public void TryNormalize_SupportedUri_Accepted(string uri)
    {
        Assert.True(new HostInput("kvm1", $"  {uri} ").TryNormalize(Policy, out var valid, out var errors), string.Join(" ", errors.Values));
        Assert.Equal(uri, valid.Uri);
        Assert.Equal("kvm1", valid.Name);
    }

    [Theory]
    [InlineData("qemu:///sys tem", "contains spaces")]
    [InlineData("foo:///system", "Unknown libvirt driver 'foo'")]
    [InlineData("qemu+carrier-pigeon://host/system", "Unknown transport 'carrier-pigeon'")]
    [InlineData("", "Give the libvirt URI")]
    [InlineData("qemu", "must look like driver")]
    [InlineData("qemu:/system", "must look like driver")]
    [InlineData("qemu:///system\0", "control character")]
    public void TryNormalize_BadUri_NamesTheProblem(string uri, string expected)
    {
        Assert.False(new HostInput("kvm1", uri).TryNormalize(Policy, out _, out var errors));
        Assert.Contains(expected, errors[nameof(HostInput.Uri)]);
    }

    [Theory]
    [InlineData("", "Give the host a name")]
    [InlineData("   ", "Give the host a name")]
    [InlineData("bad\0name", "control character")]
    [InlineData("line\nbreak", "control character")]
    public void TryNormalize_BadName_NamesTheProblem(string name, string expected)
    {
        Assert.False(new HostInput(name, "qemu:///system").TryNormalize(Policy, out _, out var errors));
        Assert.Contains(expected, errors[nameof(HostInput.Name)]);
    }

    [Fact]
    public void TryNormalize_HugeInput_RefusedWithTheLimit()
    {
        Assert.False(new HostInput(new string('n', 10_000), "qemu:///" + new string('p', 100_000)).TryNormalize(Policy, out _, out var errors));
        Assert.Contains("keep it to 64", errors[nameof(HostInput.Name)]);
        Assert.Contains("1024", errors[nameof(HostInput.Uri)]);
    }
}
