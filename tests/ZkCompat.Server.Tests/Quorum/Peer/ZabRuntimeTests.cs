using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Tests.Quorum.Peer;

/// <summary>
/// The Zab roles end to end in one process, over real loopback sockets, with the election outcome
/// scripted: discovery, sync, broadcast, forwarding of writes, reads after sync on every server.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class ZabRuntimeTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("zab-runtime-").FullName;

    [TearDown]
    public void TearDown()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private async Task<PeerNode[]> StartAsync(int count, long leader, params long[] observers)
    {
        var options = EnsembleConfig.Create(_root, count, null, observers);
        var nodes = options.Select(o => new PeerNode(o, new ScriptedElection(o.ServerId, o.PeerType == ZkCompat.Server.Config.LearnerType.Observer, leader), NullLoggerFactory.Instance)).ToArray();
        foreach (var n in nodes) n.Start();
        foreach (var n in nodes) await WaitServingAsync(n);
        return nodes;
    }

    private static async Task WaitServingAsync(PeerNode node)
    {
        await PeerNode.WaitUntilAsync([node], () => node.Peer.Serving is not null, TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task WritesThroughAFollowerAreReadOnEveryServerAfterSync()
    {
        var nodes = await StartAsync(3, leader: 3);
        try
        {
            Assert.That(nodes.Select(n => n.Peer.Serving!.ServerState), Is.EqualTo(new[] { "follower", "follower", "leader" }));
            await using var writer = await ZooKeeperClient.ConnectAsync(nodes[0].ConnectString);
            for (int i = 0; i < 20; i++)
                await writer.CreateAsync($"/k{i}", Encoding.UTF8.GetBytes($"v{i}"), Acls.OpenAclUnsafe);
            await writer.SetDataAsync("/k0", Encoding.UTF8.GetBytes("changed"));
            foreach (var node in nodes)
            {
                await using var reader = await ZooKeeperClient.ConnectAsync(node.ConnectString);
                await reader.SyncAsync("/");
                var (data, stat) = await reader.GetDataAsync("/k0");
                Assert.That(Encoding.UTF8.GetString(data!), Is.EqualTo("changed"), node.ConnectString);
                Assert.That(stat.Version, Is.EqualTo(1));
                Assert.That((await reader.GetChildrenAsync("/")).Count(c => c.StartsWith('k')), Is.EqualTo(20));
                // /zookeeper/config shows the membership, as Java's initConfigInZKDatabase sets it.
                var (config, configStat) = await reader.GetDataAsync("/zookeeper/config");
                string text = Encoding.UTF8.GetString(config!);
                Assert.That(text, Does.StartWith("server.1=127.0.0.1:").And.EndWith("\nversion=0"));
                Assert.That(text.Split('\n'), Has.Length.EqualTo(4));
                Assert.That(configStat.Version, Is.EqualTo(-1));
            }
            long zxid = nodes[2].Database.Tree.LastProcessedZxid;
            Assert.That(zxid >> 32, Is.EqualTo(1), "the first epoch is 1");
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    [Test]
    public async Task ErrorsFromTheLeaderReachTheClientOfAFollower()
    {
        var nodes = await StartAsync(3, leader: 2);
        try
        {
            await using var client = await ZooKeeperClient.ConnectAsync(nodes[0].ConnectString);
            await client.CreateAsync("/dup", null, Acls.OpenAclUnsafe);
            var e = Assert.ThrowsAsync<KeeperException>(() => client.CreateAsync("/dup", null, Acls.OpenAclUnsafe));
            Assert.That(e!.Code, Is.EqualTo(ErrorCode.NodeExists));
            var bad = Assert.ThrowsAsync<KeeperException>(() => client.SetDataAsync("/dup", null, version: 7));
            Assert.That(bad!.Code, Is.EqualTo(ErrorCode.BadVersion));
            // An ephemeral of a closed session vanishes everywhere.
            await using (var owner = await ZooKeeperClient.ConnectAsync(nodes[2].ConnectString))
                await owner.CreateAsync("/eph", null, Acls.OpenAclUnsafe, CreateMode.Ephemeral);
            await client.SyncAsync("/");
            Assert.That(await client.ExistsAsync("/eph"), Is.Null);
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }

    [Test]
    public async Task AnObserverServesReadsAndForwardsWrites()
    {
        var nodes = await StartAsync(4, leader: 1, observers: 4);
        try
        {
            Assert.That(nodes[3].Peer.Serving!.ServerState, Is.EqualTo("observer"));
            await using var client = await ZooKeeperClient.ConnectAsync(nodes[3].ConnectString);
            await client.CreateAsync("/via-observer", Encoding.UTF8.GetBytes("x"), Acls.OpenAclUnsafe);
            var (data, _) = await client.GetDataAsync("/via-observer");
            Assert.That(Encoding.UTF8.GetString(data!), Is.EqualTo("x"));
            await using var other = await ZooKeeperClient.ConnectAsync(nodes[1].ConnectString);
            await other.SyncAsync("/");
            Assert.That(await other.ExistsAsync("/via-observer"), Is.Not.Null);
        }
        finally
        {
            foreach (var n in nodes) await n.DisposeAsync();
        }
    }
}
