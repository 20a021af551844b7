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
    private readonly Func<ZooKeeperServer?> _server;
    private readonly Config.ServerOptions _options;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly Socket _listener;
    private readonly ConcurrentDictionary<ClientConnection, Task> _connections = new();
    private readonly ConcurrentDictionary<IPAddress, int> _perAddress = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Tls.SecureClientAcceptor? _secure;
    private Task? _acceptLoop;

    public ClientListener(ZooKeeperServer zks, IPEndPoint endPoint, ILoggerFactory loggers)
        : this(() => zks, zks.Options, endPoint, loggers)
    {
        zks.ConnectionSource = () => _connections.Keys.ToArray();
    }

    /// <summary>
    /// A listener for a quorum peer, whose server changes with its role: <paramref name="server"/> says which
    /// one serves now (null while electing: connections then get Java's "not serving" treatment).
    /// </summary>
    /// <param name="secure">For the secure client port: the TLS handshake every connection goes through first (owned, disposed with the listener).</param>
    public ClientListener(Func<ZooKeeperServer?> server, Config.ServerOptions options, IPEndPoint endPoint, ILoggerFactory loggers,
        Tls.SecureClientAcceptor? secure = null)
    {
        _secure = secure;
        _server = server;
        _options = options;
        _loggers = loggers;
        _log = loggers.CreateLogger("ZkCompat.Server.Network.ClientListener");
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = true;
        _listener.Bind(endPoint);
        _listener.Listen(512);
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The connections bound to <paramref name="zks"/> (its four-letter words list them).</summary>
    public IReadOnlyCollection<ClientConnection> ConnectionsOf(ZooKeeperServer zks) =>
        _connections.Keys.Where(c => ReferenceEquals(c.Server, zks)).ToArray();

    /// <summary>A role ended: its clients must find a server that serves (Java's closeAll on shutdown).</summary>
    public void CloseConnectionsOf(ZooKeeperServer zks)
    {
        foreach (var connection in ConnectionsOf(zks)) connection.Abort();
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
            int max = _options.MaxClientCnxns;
            int count = _perAddress.AddOrUpdate(address, 1, (_, c) => c + 1);
            if (max > 0 && count > max)
            {
                Release(address);
                LogTooMany(address, max);
                socket.Dispose();
                continue;
            }
            LogAccepted(remote);
            if (_secure is not null)
            {
                AcceptSecure(_secure, socket, remote, address, connectionLog, ct);
                continue;
            }
            if (_server() is not { } zks)
            {
                _ = NotServingAsync(new NetworkStream(socket, ownsSocket: true), address, ct);
                continue;
            }
            var connection = new ClientConnection(socket, zks, connectionLog);
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

    // No server runs (electing): a four-letter word hears that, as from Java; a client is closed and tries another server.
    private async Task NotServingAsync(Stream stream, IPAddress address, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var first = new byte[4];
            int read = 0;
            while (read < 4)
            {
                int n = await stream.ReadAsync(first.AsMemory(read), timeout.Token).ConfigureAwait(false);
                if (n == 0) return;
                read += n;
            }
            if (FourLetterWords.TryGetCommand(new System.Buffers.ReadOnlySequence<byte>(first), out string? word) && word is not null)
            {
                string answer = !_options.IsFourLetterWordEnabled(word) ? word + " is not executed because it is not in the whitelist.\n"
                    : word == "ruok" ? "imok"
                    : Commands.FourLetterWordContext.NotServing + "\n";
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(answer), timeout.Token).ConfigureAwait(false);
            }
            else
            {
                LogNotServing(address);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Release(address);
            await stream.DisposeAsync().ConfigureAwait(false);
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
        await Task.WhenAll(_handshakes.Keys).ConfigureAwait(false);
        foreach (var connection in _connections.Keys) connection.Abort();
        await Task.WhenAll(_connections.Values).ConfigureAwait(false);
        if (_secure is not null) await _secure.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "binding to port {EndPoint}")]
    private partial void LogBound(IPEndPoint endPoint);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Accepted socket connection from {Remote}")]
    private partial void LogAccepted(IPEndPoint remote);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too many connections from {Address} - max is {Max}")]
    private partial void LogTooMany(IPAddress address, int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closing the connection from {Address}: ZooKeeperServer not running")]
    private partial void LogNotServing(IPAddress address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring unexpected accept failure: {Reason}")]
    private partial void LogAcceptFailed(string reason);
}
