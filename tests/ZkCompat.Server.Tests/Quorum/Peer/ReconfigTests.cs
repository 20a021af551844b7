using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Protocol;

namespace ZkCompat.Server.Tests.Quorum.Peer;

/// <summary>
/// Dynamic reconfiguration in one process: the version an established config takes, a joiner that follows
/// without a vote until <c>reconfig -add</c>, removal, and the errors Java gives.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class ReconfigTests
{
    private string _root = null!;
    private readonly List<PeerNode> _nodes = [];

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("zab-reconfig-").FullName;

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

    private static readonly Dictionary<string, string> SkipAcl = new()
    {
        ["zookeeper.4lw.commands.whitelist"] = "*",
        ["zookeeper.skipACL"] = "yes",
    };

    private PeerNode Start(ZkCompat.Server.Config.ServerOptions options)
    {
        var node = new PeerNode(options, NullLoggerFactory.Instance);
        _nodes.Add(node);
        node.Start();
        return node;
    }

    private async Task<PeerNode> WaitForLeaderAsync(IReadOnlyCollection<PeerNode> nodes)
    {
        PeerNode? leader = null;
        await PeerNode.WaitUntilAsync(nodes, () =>
        {
            leader = nodes.SingleOrDefault(n => n.Peer.Serving?.ServerState == "leader");
            return leader is not null && nodes.All(n => n.Peer.Serving is not null);
        }, TimeSpan.FromSeconds(60));
        return leader!;
    }

    private static async Task<string> ConfigOfAsync(PeerNode node)
    {
        await using var c = await ZooKeeperClient.ConnectAsync(node.ConnectString);
        await c.SyncAsync("/");
        var (data, _) = await c.GetDataAsync("/zookeeper/config");
        return Encoding.UTF8.GetString(data!);
    }

    [Test]
    public async Task AJoinerFollowsWithoutAVoteUntilAddedAndARemovedServerLeaves()
    {
        var all = EnsembleConfig.Create(_root, 4, SkipAcl, "reconfigEnabled=true\n");
        var firstThree = all[3].Servers.Take(3).ToList();
        for (int i = 0; i < 3; i++) Start(all[i] with { Servers = firstThree });
        var leader = await WaitForLeaderAsync(_nodes);
        Assert.That(leader.Options.ServerId, Is.EqualTo(3));
        // ZOOKEEPER-1783: the established config takes the first epoch's start as its version.
        Assert.That(await ConfigOfAsync(_nodes[0]), Does.EndWith("\nversion=100000000"));
        Assert.That(leader.Peer.Verifier.Version, Is.EqualTo(0x100000000L));

        var joiner = Start(all[3]);
        await WaitForLeaderAsync(_nodes);
        Assert.That(joiner.Peer.Serving!.ServerState, Is.EqualTo("follower"));
        Assert.That(leader.Peer.Verifier.IsVoter(4), Is.False, "not a voter before reconfig");

        var four = all[3].Servers.Single(s => s.Id == 4);
        await using (var admin = await ZooKeeperClient.ConnectAsync(_nodes[0].ConnectString))
        {
            var (data, stat) = await admin.ReconfigAsync($"server.4={four.ToConfigValue()}", null, null);
            string config = Encoding.UTF8.GetString(data!);
            Assert.That(config, Does.Contain("server.4=127.0.0.1:"));
            Assert.That(stat.Version, Is.EqualTo(-1));
            Assert.That(config, Does.EndWith($"\nversion={stat.Mzxid:x}"), "the new version is the reconfig's zxid");
            var stale = Assert.ThrowsAsync<KeeperException>(() => admin.ReconfigAsync(null, "2", null, fromConfig: 0x100000000L));
            Assert.That(stale!.Code, Is.EqualTo(ErrorCode.BadVersion));
        }
        foreach (var n in _nodes)
        {
            Assert.That(await ConfigOfAsync(n), Does.Contain("server.4="), $"server {n.Options.ServerId}");
            Assert.That(n.Peer.Verifier.VotingMembers, Has.Count.EqualTo(4), $"server {n.Options.ServerId}");
        }

        // Remove server 1: it is no longer a member and stops serving; the rest go on.
        await using (var admin = await ZooKeeperClient.ConnectAsync(_nodes[1].ConnectString))
        {
            var (data, _) = await admin.ReconfigAsync(null, "1", null);
            Assert.That(Encoding.UTF8.GetString(data!), Does.Not.Contain("server.1="));
            await admin.CreateAsync("/after-remove", null, Acls.OpenAclUnsafe);
        }
        var removed = _nodes[0];
        await PeerNode.WaitUntilAsync([removed], () => removed.Peer.Serving is null, TimeSpan.FromSeconds(30));
        var rest = _nodes.Skip(1).ToArray();
        Assert.That(rest.All(n => n.Peer.Verifier.VotingMembers.Count == 3));
        await using var reader = await ZooKeeperClient.ConnectAsync(joiner.ConnectString);
        await reader.SyncAsync("/");
        Assert.That(await reader.ExistsAsync("/after-remove"), Is.Not.Null);
    }

    [Test]
    public async Task ReconfigIsRefusedWhenDisabledOrWithoutTheRightToWriteTheConfig()
    {
        var disabled = EnsembleConfig.Create(Path.Combine(_root, "off"), 3, SkipAcl);
        foreach (var o in disabled) Start(o);
        await WaitForLeaderAsync(_nodes);
        await using (var c = await ZooKeeperClient.ConnectAsync(_nodes[0].ConnectString))
        {
            var e = Assert.ThrowsAsync<KeeperException>(() => c.ReconfigAsync(null, "1", null));
            Assert.That(e!.Code, Is.EqualTo(ErrorCode.ReconfigDisabled));
        }
        foreach (var n in _nodes) await n.DisposeAsync();
        _nodes.Clear();

        var guarded = EnsembleConfig.Create(Path.Combine(_root, "acl"), 3, null, "reconfigEnabled=true\n");
        foreach (var o in guarded) Start(o);
        await WaitForLeaderAsync(_nodes);
        await using var client = await ZooKeeperClient.ConnectAsync(_nodes[0].ConnectString);
        var noAuth = Assert.ThrowsAsync<KeeperException>(() => client.ReconfigAsync(null, "1", null));
        Assert.That(noAuth!.Code, Is.EqualTo(ErrorCode.NoAuth), "/zookeeper/config is world:read; only super may reconfig");
        var tooFew = Assert.ThrowsAsync<KeeperException>(() => client.ReconfigAsync(null, null, "server.1=127.0.0.1:1:2;3"));
        Assert.That(tooFew!.Code, Is.EqualTo(ErrorCode.BadArguments).Or.EqualTo(ErrorCode.NoAuth));
    }
}
