using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Protocol;

/// <summary>A whole standalone server (processors + client port on an ephemeral loopback port) in the test process.</summary>
public sealed class InProcessServer : IAsyncDisposable
{
    private InProcessServer(ZooKeeperServer server, ClientListener listener)
    {
        Server = server;
        Listener = listener;
    }

    public ZooKeeperServer Server { get; }
    public ClientListener Listener { get; }
    public string ConnectString => $"127.0.0.1:{Listener.LocalEndPoint.Port}";

    public static InProcessServer Start(ServerOptions? options = null, TimeProvider? time = null)
    {
        options ??= new ServerOptions { TickTime = 2000, ClientPortAddress = "127.0.0.1" };
        var server = new ZooKeeperServer(options, new InMemoryTxnLog(), time ?? TimeProvider.System, NullLoggerFactory.Instance);
        server.Start();
        var listener = new ClientListener(server, new IPEndPoint(IPAddress.Loopback, 0), NullLoggerFactory.Instance);
        listener.Start();
        return new InProcessServer(server, listener);
    }

    public Task<ZooKeeperClient> ConnectAsync(ZooKeeperClientOptions? options = null) =>
        ZooKeeperClient.ConnectAsync(ConnectString, options);

    public async ValueTask DisposeAsync()
    {
        await Listener.DisposeAsync();
        await Server.DisposeAsync();
    }
}
