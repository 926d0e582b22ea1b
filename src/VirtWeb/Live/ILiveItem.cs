namespace VirtWeb.Live;

/// <summary>
/// A live record that says where it belongs, so that nothing downstream takes its key apart: its key in its
/// collection, the host it lives on, and the path grants on it are checked at (built by <see cref="Access.AccessPaths"/>).
/// </summary>
public interface ILiveItem
{
    string Key { get; }

    Guid HostId { get; }

    string AccessPath { get; }
}
