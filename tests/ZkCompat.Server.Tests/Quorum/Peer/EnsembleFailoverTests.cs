using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Server.Tests.Quorum.Peer;

/// <summary>
/// Whole peers (fast leader election + Zab) in one process over loopback: the elected leader is the
/// (epoch, zxid, sid) maximum, a leader crash leaves a new leader with every committed txn, and a
/// restarted peer catches up.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class EnsembleFailoverTests
{
    private string _root = null!;
    private readonly List<PeerNode> _nodes = [];

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("zab-failover-").FullName;

    [TearDown]
    public async Task TearDown()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        _nodes.Clear();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private PeerNode Start(ZkCompat.Server.Config.ServerOptions options)
    {
        var node = new PeerNode(options, NullLoggerFactory.Instance);
        _nodes.Add(node);
        node.Start();
        return node;
    }

    private static async Task<PeerNode> WaitForLeaderAsync(IEnumerable<PeerNode> nodes)
    {
        var live = nodes.ToArray();
        PeerNode? leader = null;
        await PeerNode.WaitUntilAsync(live, () =>
        {
            var serving = live.Where(n => n.Peer.Serving is not null).ToArray();
            var leaders = serving.Where(n => n.Peer.Serving!.ServerState == "leader").ToArray();
            leader = leaders.Length == 1 ? leaders[0] : null;
            return serving.Length == live.Length && leader is not null;
        }, TimeSpan.FromSeconds(60));
        return leader!;
    }

    private static async Task WithClientAsync(PeerNode node, Func<ZooKeeperClient, Task> body)
    {
        await using var client = await ZooKeeperClient.ConnectAsync(node.ConnectString);
        await body(client);
    }

    [Test]
    public async Task TheHighestSidWinsAFreshEnsembleAndALeaderCrashKeepsEveryCommittedWrite()
    {
        var options = EnsembleConfig.Create(_root, 3);
        foreach (var o in options) Start(o);
        var leader = await WaitForLeaderAsync(_nodes);
        Assert.That(leader.Options.ServerId, Is.EqualTo(3), "equal logs: the highest sid wins");

        var follower = _nodes.First(n => n != leader);
        await WithClientAsync(follower, async c =>
        {
            for (int i = 0; i < 50; i++) await c.CreateAsync($"/w{i}", Encoding.UTF8.GetBytes($"{i}"), Acls.OpenAclUnsafe);
        });

        await leader.DisposeAsync();
        _nodes.Remove(leader);
        var second = await WaitForLeaderAsync(_nodes);
        Assert.That(second.Options.ServerId, Is.EqualTo(2));
        await WithClientAsync(second, async c =>
        {
            Assert.That((await c.GetChildrenAsync("/")).Count(n => n.StartsWith('w')), Is.EqualTo(50));
            await c.CreateAsync("/after", null, Acls.OpenAclUnsafe);
        });
        Assert.That(second.Database.Tree.LastProcessedZxid >> 32, Is.EqualTo(2), "the new leader opened epoch 2");

        // The old leader comes back and catches up with what it missed.
        var back = Start(options[2]);
        await WaitForLeaderAsync(_nodes);
        await WithClientAsync(back, async c =>
        {
            await c.SyncAsync("/");
            Assert.That(await c.ExistsAsync("/after"), Is.Not.Null);
            Assert.That((await c.GetChildrenAsync("/")).Count(n => n.StartsWith('w')), Is.EqualTo(50));
        });
        Assert.That(back.Peer.Serving!.ServerState, Is.EqualTo("follower"), "a returning peer follows the leader of the newer epoch");
    }

    [Test]
    public async Task AMinorityCannotCommit()
    {
        var options = EnsembleConfig.Create(_root, 3);
        foreach (var o in options) Start(o);
        var leader = await WaitForLeaderAsync(_nodes);
        var others = _nodes.Where(n => n != leader).ToArray();
        foreach (var n in others)
        {
            await n.DisposeAsync();
            _nodes.Remove(n);
        }
        // The lone leader steps down within syncLimit and serves nobody.
        await PeerNode.WaitUntilAsync([leader], () => leader.Peer.Serving is null, TimeSpan.FromSeconds(30));
        var e = Assert.CatchAsync(async () =>
        {
            using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            await using var c = await ZooKeeperClient.ConnectAsync(leader.ConnectString, ct: connect.Token);
            await c.CreateAsync("/lost", null, Acls.OpenAclUnsafe, ct: connect.Token);
        });
        Assert.That(e, Is.Not.Null);
        Assert.That(leader.Database.Tree.GetNode("/lost"), Is.Null);
    }

    [Test]
    public async Task AnUncommittedTxnOfAFormerLeaderIsTruncatedWhenItRejoins()
    {
        var options = EnsembleConfig.Create(_root, 3);
        foreach (var o in options) Start(o);
        var leader = await WaitForLeaderAsync(_nodes);
        Assert.That(leader.Options.ServerId, Is.EqualTo(3));
        await WithClientAsync(leader, c => c.CreateAsync("/a", null, Acls.OpenAclUnsafe));
        long committed = leader.Database.Tree.LastProcessedZxid;

        var client = await ZooKeeperClient.ConnectAsync(leader.ConnectString);
        foreach (var n in _nodes.Where(n => n != leader).ToArray())
        {
            await n.DisposeAsync();
            _nodes.Remove(n);
        }
        // The leader logs this write, but nobody acks it; it steps down and keeps it in its log.
        var lost = client.CreateAsync("/lost", null, Acls.OpenAclUnsafe);
        await PeerNode.WaitUntilAsync([leader], () => leader.Peer.Serving is null, TimeSpan.FromSeconds(30));
        Assert.CatchAsync(async () => await lost);
        await client.DisposeAsync();
        await leader.DisposeAsync();
        _nodes.Remove(leader);

        var one = Start(options[0]);
        var two = Start(options[1]);
        // Either may lead epoch 2 (their logs are equal unless one applied more before the crash).
        var second = await WaitForLeaderAsync([one, two]);
        await WithClientAsync(second, c => c.CreateAsync("/b", null, Acls.OpenAclUnsafe));

        var back = Start(options[2]);
        Assert.That(back.Database.Tree.LastProcessedZxid, Is.GreaterThan(committed), "the former leader replayed its uncommitted txn");
        await WaitForLeaderAsync(_nodes);
        await WithClientAsync(back, async c =>
        {
            await c.SyncAsync("/");
            Assert.That(await c.ExistsAsync("/lost"), Is.Null, "truncated away");
            Assert.That(await c.ExistsAsync("/b"), Is.Not.Null);
            Assert.That(await c.ExistsAsync("/a"), Is.Not.Null);
        });
        Assert.That(back.Database.Tree.TreeDigest, Is.EqualTo(second.Database.Tree.TreeDigest));
    }

    [Test]
    public async Task APartitionedPeerServesReadOnlyClientsWhenReadOnlyModeIsEnabled()
    {
        var properties = new Dictionary<string, string> { ["readonlymode.enabled"] = "true", ["zookeeper.4lw.commands.whitelist"] = "*" };
        var options = EnsembleConfig.Create(_root, 3, properties);
        foreach (var o in options) Start(o);
        var leader = await WaitForLeaderAsync(_nodes);
        var survivor = _nodes.First(n => n != leader);
        await WithClientAsync(survivor, c => c.CreateAsync("/kept", Encoding.UTF8.GetBytes("v"), Acls.OpenAclUnsafe));
        foreach (var n in _nodes.Where(n => n != survivor).ToArray())
        {
            await n.DisposeAsync();
            _nodes.Remove(n);
        }
        await PeerNode.WaitUntilAsync([survivor], () => survivor.Peer.Serving?.Role.ReadOnly == true, TimeSpan.FromSeconds(30));
        Assert.That(Network.FourLetterWords.Execute("isro", survivor.Peer.Serving!), Is.EqualTo("ro"));
        Assert.That(Network.FourLetterWords.Execute("srvr", survivor.Peer.Serving!), Does.Contain("Mode: read-only"));

        await using var ro = await ZooKeeperClient.ConnectAsync(survivor.ConnectString, new ZooKeeperClientOptions { CanBeReadOnly = true });
        Assert.That(ro.ReadOnly, Is.True);
        var (data, _) = await ro.GetDataAsync("/kept");
        Assert.That(Encoding.UTF8.GetString(data!), Is.EqualTo("v"));
        var e = Assert.ThrowsAsync<KeeperException>(() => ro.CreateAsync("/nope", null, Acls.OpenAclUnsafe));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.NotReadOnly));
        Assert.CatchAsync(async () =>
        {
            await using var rw = await ZooKeeperClient.ConnectAsync(survivor.ConnectString);
        }, "a client that cannot be read-only is refused");
    }
}
