using System.Net;
using System.Net.Sockets;
using ZkCompat.Server.Quorum.Transport;
using static ZkCompat.Server.Tests.Quorum.Transport.TransportTestKit;

namespace ZkCompat.Server.Tests.Quorum.Transport;

/// <summary>The TCP side of the network seam, on loopback.</summary>
public class TcpPeerNetworkTests
{
    private readonly TcpPeerNetwork _network = new();

    [TestCase(null)]
    [TestCase("")]
    [TestCase("0.0.0.0")]
    [TestCase("127.0.0.1")]
    public async Task Connections_carry_bytes_both_ways_with_nodelay(string? bindHost)
    {
        await using var listener = (TcpPeerNetwork.Listener)_network.Listen(bindHost, 0);
        var accepting = listener.AcceptAsync(CancellationToken.None).AsTask();
        await using var dialled = await _network.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port, TimeSpan.FromSeconds(5), CancellationToken.None);
        await using var accepted = await accepting.Within("accept");

        await dialled.WriteAsync(new byte[] { 1, 2, 3 });
        Assert.That(await ReadExactlyAsync(accepted, 3), Is.EqualTo(new byte[] { 1, 2, 3 }));
        await accepted.WriteAsync(new byte[] { 4 });
        Assert.That(await ReadExactlyAsync(dialled, 1), Is.EqualTo(new byte[] { 4 }));

        Assert.That(((NetworkStream)dialled).Socket.NoDelay, Is.True);
        Assert.That(((NetworkStream)accepted).Socket.NoDelay, Is.True);
    }

    [Test]
    public async Task Any_address_listens_on_every_family_it_can()
    {
        await using var listener = (TcpPeerNetwork.Listener)_network.Listen(null, 0);
        var expected = Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any;
        Assert.That(listener.LocalEndPoint.Address, Is.EqualTo(expected));
        if (Socket.OSSupportsIPv6) Assert.That(listener.LocalEndPoint.AddressFamily, Is.EqualTo(AddressFamily.InterNetworkV6), "dual mode");
    }

    [Test]
    public void Nothing_listening_is_an_io_exception()
    {
        int port = FreeLoopbackPorts(1)[0];
        Assert.ThrowsAsync<IOException>(async () => await _network.ConnectAsync("127.0.0.1", port, TimeSpan.FromSeconds(5), CancellationToken.None));
    }

    [Test]
    public async Task A_disposed_listener_stops_accepting()
    {
        var listener = _network.Listen("127.0.0.1", 0);
        var pending = listener.AcceptAsync(CancellationToken.None).AsTask();
        await listener.DisposeAsync();
        var stopped = Assert.CatchAsync(async () => await pending.WaitAsync(Patience));
        Assert.That(stopped, Is.InstanceOf<ObjectDisposedException>().Or.InstanceOf<OperationCanceledException>(), "as IPeerListener promises");
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await listener.AcceptAsync(CancellationToken.None));
    }

    [Test]
    public async Task Accept_honours_cancellation()
    {
        await using var listener = _network.Listen("127.0.0.1", 0);
        using var cts = new CancellationTokenSource();
        var pending = listener.AcceptAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(async () => await pending.Within("cancelled accept"));
    }
}
