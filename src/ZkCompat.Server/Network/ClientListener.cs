using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ZkCompat.Server.Network;

/// <summary>
/// Accepts client connections on the client port (Java's <c>NIOServerCnxnFactory</c>) and
/// enforces <c>maxClientCnxns</c> per client address.
/// </summary>
public sealed partial class ClientListener : IAsyncDisposable
{
    private readonly ZooKeeperServer _zks;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly Socket _listener;
    private readonly ConcurrentDictionary<ClientConnection, Task> _connections = new();
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task? _acceptLoop;

    public ClientListener(ZooKeeperServer zks, IPEndPoint endPoint, ILoggerFactory loggers)
    {
        _zks = zks;
        _loggers = loggers;
        _log = loggers.CreateLogger("ZkCompat.Server.Network.ClientListener");
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = true;
        _listener.Bind(endPoint);
        _listener.Listen(512);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
        zks.ConnectionSource = () => _connections.Keys.ToArray();
    }

    public IPEndPoint LocalEndPoint { get; }

    public IReadOnlyCollection<ClientConnection> Connections => _connections.Keys.ToArray();

    public void Start()
    {
        LogBound(LocalEndPoint);
        _acceptLoop = Task.Run(() => AcceptLoopAsync(_stopping.Token));
    }

    private async Task AcceptLoopAsync(CancellationToken ct)
    {
        var connectionLog = _loggers.CreateLogger("ZkCompat.Server.Network.ClientConnection");
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                // Shutting down: the listening socket is gone.
                return;
            }
            catch (SocketException e) when (ct.IsCancellationRequested)
            {
                _ = e;
                return;
            }
            catch (SocketException e)
            {
                LogAcceptFailed(e.Message);
                continue;
            }
            socket.NoDelay = true;
            var remote = (IPEndPoint)socket.RemoteEndPoint!;
            var address = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            int max = _zks.Options.MaxClientCnxns;
            int count = _perAddress.AddOrUpdate(address, 1, (_, c) => c + 1);
            if (max > 0 && count > max)
            {
                Release(address);
                LogTooMany(address, max);
                socket.Dispose();
                continue;
            }
            LogAccepted(remote);
            var connection = new ClientConnection(socket, _zks, connectionLog);
            var run = RunConnectionAsync(connection, address, ct);
            _connections[connection] = run;
        }
    }

    private async Task RunConnectionAsync(ClientConnection connection, IPAddress address, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            await connection.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            Release(address);
            _connections.TryRemove(connection, out _);
        }
    }

    private void Release(IPAddress address)
    {
        if (_perAddress.AddOrUpdate(address, 0, (_, c) => c - 1) <= 0) _perAddress.TryRemove(new KeyValuePair<IPAddress, int>(address, 0));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        foreach (var connection in _connections.Keys) connection.Abort();
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "binding to port {EndPoint}")]
    private partial void LogBound(IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Accepted socket connection from {Remote}")]
    private partial void LogAccepted(IPEndPoint remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too many connections from {Address} - max is {Max}")]
    private partial void LogTooMany(IPAddress address, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring unexpected accept failure: {Reason}")]
    private partial void LogAcceptFailed(string reason);
}
