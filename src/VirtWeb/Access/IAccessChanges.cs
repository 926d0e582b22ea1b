namespace VirtWeb.Access;

/// <summary>
/// Tells the other instances that roles, disabled accounts or grants changed here, so that they read them again at
/// once rather than at their next periodic re-read. Alone (<see cref="LocalAccessChanges"/>) there is nobody to tell.
/// </summary>
public interface IAccessChanges
{
    Task PublishAsync();
}

public sealed class LocalAccessChanges : IAccessChanges
{
    public Task PublishAsync() => Task.CompletedTask;
}
