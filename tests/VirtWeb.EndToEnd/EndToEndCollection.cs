namespace VirtWeb.EndToEnd;

[CollectionDefinition(Name)]
public sealed class EndToEndCollection : ICollectionFixture<KestrelVirtWebFactory>, ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser against the running app";
}
