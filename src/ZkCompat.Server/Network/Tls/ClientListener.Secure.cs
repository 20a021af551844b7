using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace ZkCompat.Server.Network;

// The secure client port: each accepted socket first goes through the TLS handshake (and the x509
// check) on its own task, then runs as an ordinary ClientConnection over the TLS stream.
public sealed partial class ClientListener
{
    // Handshakes under way; disposal waits for them (they end at once when stopping is cancelled).
    private readonly ConcurrentDictionary<Task, byte> _handshakes = new();

    private void AcceptSecure(Tls.SecureClientAcceptor secure, Socket socket, IPEndPoint remote, IPAddress address, ILogger connectionLog,
        CancellationToken ct)
    {
        var handshake = Task.Run(() => RunSecureAsync(secure, socket, remote, address, connectionLog, ct), CancellationToken.None);
        _handshakes.TryAdd(handshake, 0);
        _ = handshake.ContinueWith(static (t, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(t, out _), _handshakes,
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunSecureAsync(Tls.SecureClientAcceptor secure, Socket socket, IPEndPoint remote, IPAddress address, ILogger connectionLog,
        CancellationToken ct)
    {
        bool handedOver = false;
        try
        {
            if (_server() is null && secure.EarlyDropWhenNotServing)
            {
                LogEarlyDrop(remote);
                socket.Dispose();
                return;
            }
            var session = await secure.HandshakeAsync(socket, remote, ct).ConfigureAwait(false);
            if (session is null) return;
            if (_server() is not { } zks)
            {
                handedOver = true;
                _ = NotServingAsync(session.Stream, address, ct);
                return;
            }
            var ids = secure.Authenticate(session, zks.AuthProviders, remote);
            if (ids is null)
            {
                await session.Stream.DisposeAsync().ConfigureAwait(false);
                return;
            }
            var connection = new ClientConnection(socket, session.Stream, zks, connectionLog, ids, session.ClientCertificateChain);
            handedOver = true;
            _connections[connection] = RunConnectionAsync(connection, address, ct);
        }
        finally
        {
            if (!handedOver) Release(address);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Zookeeper server is not running, close the connection to {Remote} before starting the TLS handshake")]
    private partial void LogEarlyDrop(IPEndPoint remote);
}
