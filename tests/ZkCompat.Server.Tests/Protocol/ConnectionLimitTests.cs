using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Tests.Protocol;

public class ConnectionLimitTests
{
    [Test]
    public async Task Connections_over_maxClientCnxns_from_one_address_are_closed()
    {
        var options = new ServerOptions { TickTime = 2000, ClientPortAddress = "127.0.0.1", MaxClientCnxns = 2 };
        await using var server = InProcessServer.Start(options);
        await using var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        var e = Assert.ThrowsAsync<KeeperException>(() => server.ConnectAsync());
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.ConnectionLoss));

        // A slot frees up when a connection goes.
        await first.CloseAsync();
        await first.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        ZooKeeperClient? third = null;
        for (int attempt = 0; attempt < 50 && third is null; attempt++)
        {
            // The server releases the slot after the socket closes on its side; retry the handshake until it has.
            try
            {
                third = await server.ConnectAsync();
            }
            catch (KeeperException retry) when (retry.Code == ErrorCode.ConnectionLoss)
            {
            }
        }
        Assert.That(third, Is.Not.Null, "a freed slot is usable again");
        await third!.DisposeAsync();
    }

    [TestCase(1000, 4000)]
    [TestCase(10000, 10000)]
    [TestCase(100000, 40000)]
    public async Task Session_timeout_is_clamped_to_2_and_20_ticks(int requestedMs, int negotiatedMs)
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync(new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromMilliseconds(requestedMs) });
        Assert.That(client.NegotiatedTimeout, Is.EqualTo(negotiatedMs));
    }
}
