namespace VirtWeb.Tests.Hosts;

public sealed class HypervisorClassifierTests
{
    [Theory]
    [InlineData("QEMU", true, HypervisorKind.Both)]
    [InlineData("QEMU", false, HypervisorKind.Type2)]
    [InlineData("Xen", false, HypervisorKind.Type1)]
    [InlineData("ESX", false, HypervisorKind.Type1)]
    [InlineData("HYPERV", false, HypervisorKind.Type1)]
    [InlineData("VBOX", false, HypervisorKind.Type2)]
    [InlineData("LXC", false, HypervisorKind.Containers)]
    [InlineData("Test", false, HypervisorKind.Simulated)]
    public void Classify_Driver_GivesTheKind(string driver, bool kvmUsable, HypervisorKind expected) =>
        Assert.Equal(expected, HypervisorClassifier.Classify(driver, kvmUsable));

    [Fact]
    public void Explanation_EveryKind_HasOneLine()
    {
        foreach (var kind in Enum.GetValues<HypervisorKind>())
        {
            var explanation = HypervisorClassifier.Explanation(kind);
            Assert.False(string.IsNullOrWhiteSpace(explanation));
            Assert.DoesNotContain('\n', explanation);
        }
    }
}
