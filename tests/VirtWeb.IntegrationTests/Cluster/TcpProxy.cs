using System.Net.Sockets;

namespace VirtWeb.IntegrationTests.Cluster;

/// <summary>
/// A TCP forwarder to PostgreSQL that can be cut the way a network fails: <see cref="Freeze"/> stops carrying bytes
/// both ways and accepts new connections without answering, so statements hang instead of failing fast.
/// </summary>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<TcpClient> _clients = [];
    private readonly Task _accepting;

    public TcpProxy(string host, int port)
    {
        _target = new IPEndPoint(IPAddress.Parse(host), port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Freeze() => _frozen.TrySetResult();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_clients)
                {
                    _clients.Add(client);
                }

                if (_frozen.Task.IsCompleted)
                {
                    continue;
                }

                var upstream = new TcpClient();
                await upstream.ConnectAsync(_target, _stop.Token);
                lock (_clients)
                {
                    _clients.Add(upstream);
                }

                _ = PumpAsync(client.GetStream(), upstream.GetStream());
                _ = PumpAsync(upstream.GetStream(), client.GetStream());
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16384];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    to.Dispose();
                    return;
                }

                if (_frozen.Task.IsCompleted)
                {
                    // Frozen: what was read is dropped, and nothing more moves until the proxy is disposed.
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }

                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
        }

        _stop.Dispose();
    }
}
