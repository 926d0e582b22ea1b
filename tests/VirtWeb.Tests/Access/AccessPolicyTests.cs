namespace VirtWeb.Tests.Access;

/// <summary>A fixture of users, roles and grants against the exact set of allowed actions for each (user, path).</summary>
public sealed class AccessPolicyTests
{
    private static readonly Guid HostA = Guid.Parse("aaaaaaaa-0000-0000-0000-000000000000");
    private static readonly Guid HostB = Guid.Parse("bbbbbbbb-0000-0000-0000-000000000000");
    private static readonly Guid Guest1 = Guid.Parse("11111111-0000-0000-0000-000000000000");

    private static readonly Dictionary<string, (string? Role, Grant[] Grants)> Users = new()
    {
        // Global Operator, nothing else: Operator everywhere.
        ["olga"] = ("Operator", []),
        // Global Viewer widened to Operator on host A only.
        ["vince"] = ("Viewer", [new("vince", AccessPaths.Host(HostA), AccessRole.Operator)]),
        // Global Operator narrowed to Viewer on host B, and shut out of one guest on host A.
        ["nora"] = ("Operator", [new("nora", AccessPaths.Host(HostB), AccessRole.Viewer), new("nora", AccessPaths.Guest(HostA, Guest1), AccessRole.NoAccess)]),
        // NoAccess on a host beats a more specific Administrator grant below it.
        ["dan"] = ("Viewer", [new("dan", AccessPaths.Host(HostB), AccessRole.NoAccess), new("dan", AccessPaths.Guest(HostB, Guest1), AccessRole.Administrator)]),
        // No role and no grant: nothing (deny by default).
        ["nobody"] = (null, []),
        // Administrator of host A only.
        ["hank"] = ("Viewer", [new("hank", AccessPaths.Host(HostA), AccessRole.Administrator)]),
        ["root"] = ("Administrator", []),
    };

    public static TheoryData<string, string, string> Expected => new()
    {
        { "olga", AccessPaths.Root, "View Power Console ManageGuests ManageImages" },
        { "olga", AccessPaths.Guest(HostB, Guest1), "View Power Console ManageGuests ManageImages" },
        { "vince", AccessPaths.Root, "View" },
        { "vince", AccessPaths.Host(HostA), "View Power Console ManageGuests ManageImages" },
        { "vince", AccessPaths.Guest(HostA, Guest1), "View Power Console ManageGuests ManageImages" },
        { "vince", AccessPaths.Pool(HostA, "default"), "View Power Console ManageGuests ManageImages" },
        { "vince", AccessPaths.Guest(HostB, Guest1), "View" },
        { "nora", AccessPaths.Host(HostA), "View Power Console ManageGuests ManageImages" },
        { "nora", AccessPaths.Guest(HostA, Guest1), "" },
        { "nora", AccessPaths.Guest(HostB, Guest1), "View" },
        { "dan", AccessPaths.Guest(HostB, Guest1), "" },
        { "dan", AccessPaths.Host(HostA), "View" },
        { "nobody", AccessPaths.Root, "" },
        { "nobody", AccessPaths.Host(HostA), "" },
        { "hank", AccessPaths.Host(HostA), "View Power Console ManageGuests ManageImages EditGuestXml ManageHosts ManageAccess" },
        { "hank", AccessPaths.Guest(HostA, Guest1), "View Power Console ManageGuests ManageImages EditGuestXml ManageHosts ManageAccess" },
        { "hank", AccessPaths.Host(HostB), "View" },
        { "root", AccessPaths.Guest(HostB, Guest1), "View Power Console ManageGuests ManageImages EditGuestXml ManageHosts ManageAccess" },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Policy_UserOnPath_AllowsExactlyTheExpectedActions(string user, string path, string allowed)
    {
        var (role, grants) = Users[user];

        var effective = AccessPolicy.EffectiveRole(role, grants, path);
        var actual = Enum.GetValues<Permission>().Where(p => AccessPolicy.Allows(effective, p)).Select(p => p.ToString());

        Assert.Equal(allowed.Split(' ', StringSplitOptions.RemoveEmptyEntries), actual);
    }

    [Theory]
    [InlineData(AccessRole.Administrator, AccessRole.Administrator, true)]
    [InlineData(AccessRole.Administrator, AccessRole.NoAccess, true)]
    [InlineData(AccessRole.Operator, AccessRole.Viewer, false)]
    [InlineData(AccessRole.Viewer, AccessRole.Viewer, false)]
    [InlineData(AccessRole.NoAccess, AccessRole.Viewer, false)]
    public void MayGrant_GranterRoleOnPath_OnlyWhoManagesAccessAndNeverMore(AccessRole granter, AccessRole requested, bool expected) =>
        Assert.Equal(expected, AccessPolicy.MayGrant(granter, requested));

    [Fact]
    public void Delegation_HostAdministrator_MayGrantOnTheirHostButNotAtTheRoot()
    {
        var (role, grants) = Users["hank"];

        Assert.True(AccessPolicy.MayGrant(AccessPolicy.EffectiveRole(role, grants, AccessPaths.Guest(HostA, Guest1)), AccessRole.Operator));
        Assert.False(AccessPolicy.MayGrant(AccessPolicy.EffectiveRole(role, grants, AccessPaths.Root), AccessRole.Viewer));
        Assert.False(AccessPolicy.MayGrant(AccessPolicy.EffectiveRole(role, grants, AccessPaths.Host(HostB)), AccessRole.Viewer));
    }

    [Theory]
    [InlineData("/hosts/h/guests/g", "/hosts/h/guests/g /hosts/h /")]
    [InlineData("/hosts/h/pools/p", "/hosts/h/pools/p /hosts/h /")]
    [InlineData("/hosts/h", "/hosts/h /")]
    [InlineData("/", "/")]
    public void SelfAndAncestors_ObjectPath_WalksUpObjectByObject(string path, string expected) =>
        Assert.Equal(expected.Split(' '), AccessPaths.SelfAndAncestors(path));
}
