using System.Net;
using System.Net.Sockets;

namespace ZkCompat.Server.Quorum.Transport;

/// <summary>
/// <see cref="IPeerNetwork"/> over TCP sockets, with the options QuorumCnxManager sets: TCP_NODELAY,
/// SO_KEEPALIVE when <c>zookeeper.tcpKeepAlive</c> is on, SO_REUSEADDR on listeners. Stateless, so one
/// instance can serve every server of a process.
/// </summary>
public sealed class TcpPeerNetwork : IPeerNetwork
{
    /// <summary>Java's ServerSocket default backlog.</summary>
    public const int DefaultBacklog = 50;

    private readonly bool _keepAlive;
    private readonly int _backlog;

    public TcpPeerNetwork(bool keepAlive = false, int backlog = DefaultBacklog)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(backlog);
        _keepAlive = keepAlive;
        _backlog = backlog;
    }

    public async ValueTask<Stream> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(Unbracket(host), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, deadline.Token).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot resolve {host}: {e.Message}", e);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new IOException($"resolving {host} took longer than {timeout.TotalMilliseconds} ms");
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                Configure(socket);
                await socket.ConnectAsync(new IPEndPoint(address, port), deadline.Token).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                socket.Dispose();
                throw new IOException($"connect to {host}:{port} timed out after {timeout.TotalMilliseconds} ms");
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw new IOException($"cannot connect to {host}:{port}: {last?.Message ?? "no address"}", last);
    }

    public IPeerListener Listen(string? host, int port)
    {
        var address = ResolveBindAddress(host);
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            // The "any" address takes IPv4 peers too, so one listener serves both families.
            if (address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(new IPEndPoint(address, port));
            socket.Listen(_backlog);
            return new Listener(socket, this);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {host ?? "*"}:{port}: {e.Message}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Configure(Socket socket)
    {
        socket.NoDelay = true;
        if (_keepAlive) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, true);
    }

    private static IPAddress ResolveBindAddress(string? host)
    {
        if (string.IsNullOrEmpty(host) || host == "0.0.0.0" || Unbracket(host) == "::")
            return Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any;
        if (IPAddress.TryParse(Unbracket(host), out var literal)) return literal;
        try
        {
            // Java binds the first address the name resolves to.
            var resolved = Dns.GetHostAddresses(host);
            if (resolved.Length == 0) throw new IOException($"{host} resolves to no address");
            return resolved[0];
        }
        catch (SocketException e)
        {
            throw new IOException($"cannot resolve {host}: {e.Message}", e);
        }
    }

    private static string Unbracket(string host) =>
        host.Length > 2 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;

    /// <summary>A bound, listening socket.</summary>
    public sealed class Listener : IPeerListener
    {
        private readonly Socket _socket;
        private readonly TcpPeerNetwork _network;
        private int _disposed;

        internal Listener(Socket socket, TcpPeerNetwork network)
        {
            _socket = socket;
            _network = network;
            LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        }

        /// <summary>Where it is bound (useful when asked for port 0).</summary>
        public IPEndPoint LocalEndPoint { get; }

        public async ValueTask<Stream> AcceptAsync(CancellationToken ct)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (SocketException) when (Volatile.Read(ref _disposed) != 0)
            {
                throw new ObjectDisposedException(nameof(Listener));
            }
            catch (SocketException e)
            {
                throw new IOException($"accept on {LocalEndPoint} failed: {e.Message}", e);
            }
            try
            {
                _network.Configure(accepted);
            }
            catch (SocketException e)
            {
                // The peer may already have reset the connection.
                accepted.Dispose();
                throw new IOException($"accepted connection on {LocalEndPoint} failed: {e.Message}", e);
            }
            return new NetworkStream(accepted, ownsSocket: true);
        }

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
