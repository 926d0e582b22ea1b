namespace VirtWeb.Components;

/// <summary>
/// One action at a time for a dialog or page: a second click while one runs does nothing (a button can fire again
/// before the render that disables it), <see cref="Busy"/> drives the disabled buttons, and a failure the user can act
/// on (<paramref name="shows"/>) is shown in <see cref="Error"/> instead of breaking the circuit.
/// </summary>
public sealed class OneAtATime(Func<Exception, bool> shows)
{
    public bool Busy { get; private set; }

    /// <summary>What the last action failed with; the page may clear it, or set it for a failure it handles itself.</summary>
    public string? Error { get; set; }

    /// <summary>Runs <paramref name="action"/> unless another is running; false when it did not run.</summary>
    public async Task<bool> RunAsync(Func<Task> action)
    {
        if (Busy)
        {
            return false;
        }

        Busy = true;
        Error = null;
        try
        {
            await action();
        }
        catch (Exception e) when (shows(e))
        {
            Error = e.Message;
        }
        finally
        {
            Busy = false;
        }

        return true;
    }

    /// <summary>The same, for the signed-in user of <paramref name="authenticationState"/>.</summary>
    public Task<bool> RunAsync(Task<AuthenticationState> authenticationState, Func<ClaimsPrincipal, Task> action) =>
        RunAsync(async () => await action((await authenticationState).User));
}
