using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.TestSupport;
using static ZkCompat.Server.Tests.Quorum.Transport.TransportTestKit;

namespace ZkCompat.Server.Tests.Quorum.Transport;

/// <summary>
/// Whole ensembles electing through ElectionDriver + QuorumCnxManager, on the in-memory network and on
/// loopback TCP. These run on the real clock (finalizeWait and the resend interval are Java's), so every
/// wait is for an event, with a generous timeout.
/// </summary>
public class ElectionDriverTests
{
    private static long Zxid(long epoch, long counter) => (epoch << 32) | counter;

    private static async Task<Dictionary<long, ElectionResult>> AllDecide(ElectionCluster cluster, params long[] sids)
    {
        var looking = sids.ToDictionary(sid => sid, cluster.Look);
        await Task.WhenAll(looking.Values).Within("every server decides: " + string.Join(",", sids));
        return looking.ToDictionary(kv => kv.Key, kv => kv.Value.Result);
    }

    private static void AssertLeader(ElectionCluster cluster, Dictionary<long, ElectionResult> results, long leader)
    {
        string outcome = string.Join("; ", results.Select(kv => $"{kv.Key}: {kv.Value.State} {kv.Value.LeaderSid} round {kv.Value.ElectionEpoch}"));
        foreach (var (sid, result) in results)
        {
            var role = sid == leader ? ServerState.Leading : ServerState.Following;
            Assert.That(result.LeaderSid, Is.EqualTo(leader), $"server {sid} follows the best server; {outcome}\n{cluster.Logs.Dump()}");
            Assert.That(result.State, Is.EqualTo(role), $"server {sid}'s role");
            Assert.That(cluster[sid].Driver.State, Is.EqualTo(role), $"server {sid}'s driver state");
            Assert.That(cluster[sid].Driver.CurrentVote.Id, Is.EqualTo(leader), $"server {sid}'s current vote");
        }
        Assert.That(results.Values.Select(r => r.Vote.PeerEpoch).Distinct().Count(), Is.EqualTo(1), "one epoch");
    }

    [Test]
    public async Task Three_servers_elect_the_best_and_elect_again_when_the_leader_crashes()
    {
        await using var cluster = ElectionCluster.InMemory(3);
        cluster.Boot(1, Zxid(1, 5), 1);
        cluster.Boot(2, Zxid(1, 7), 1);
        cluster.Boot(3, Zxid(1, 3), 1);

        AssertLeader(cluster, await AllDecide(cluster, 1, 2, 3), leader: 2);

        await cluster.Crash(2);
        AssertLeader(cluster, await AllDecide(cluster, 1, 3), leader: 1);
    }

    [Test]
    public async Task Five_servers_order_candidates_by_epoch_then_zxid_then_sid()
    {
        await using var cluster = ElectionCluster.InMemory(5);
        cluster.Boot(1, Zxid(2, 1), 2);
        cluster.Boot(2, Zxid(1, 9), 1);    // most transactions, older epoch
        cluster.Boot(3, Zxid(2, 1), 2);    // ties with 1, higher sid
        cluster.Boot(4, Zxid(2, 0), 2);
        cluster.Boot(5, Zxid(1, 0xff), 1);

        AssertLeader(cluster, await AllDecide(cluster, 1, 2, 3, 4, 5), leader: 3);

        await cluster.Crash(3);
        AssertLeader(cluster, await AllDecide(cluster, 1, 2, 4, 5), leader: 1);

        // Two down out of five still leaves a quorum.
        await cluster.Crash(1);
        AssertLeader(cluster, await AllDecide(cluster, 2, 4, 5), leader: 4);
    }

    [Test]
    public async Task A_minority_partition_does_not_decide_and_joins_the_leader_once_healed()
    {
        await using var cluster = ElectionCluster.InMemory(5);
        string[] minority = [HostOf(1), HostOf(2)];
        string[] majority = [HostOf(3), HostOf(4), HostOf(5)];
        cluster.Network.Partition(minority, majority);
        // The best two servers are the ones cut off.
        cluster.Boot(1, Zxid(1, 9), 1);
        cluster.Boot(2, Zxid(1, 8), 1);
        cluster.Boot(3, Zxid(1, 1), 1);
        cluster.Boot(4, Zxid(1, 3), 1);
        cluster.Boot(5, Zxid(1, 2), 1);

        var cutOff = new[] { 1L, 2L }.ToDictionary(sid => sid, cluster.Look);
        AssertLeader(cluster, await AllDecide(cluster, 3, 4, 5), leader: 4);

        // Time passes on the minority side (it keeps redialling the majority, with back-off) ...
        int before = cluster.Network.ConnectAttempts(HostOf(1), HostOf(3), ElectionPort);
        var signal = new ChangeSignal();
        cluster.Network.Changed += signal.Pulse;
        await signal.WaitUntilAsync(() => cluster.Network.ConnectAttempts(HostOf(1), HostOf(3), ElectionPort) >= before + 2, "two more dials from 1 to 3");
        cluster.Network.Changed -= signal.Pulse;
        // ... and two servers out of five never settle on anything.
        Assert.That(cutOff.Values.Any(t => t.IsCompleted), Is.False, cluster.Logs.Dump());
        Assert.That(cluster[1].Driver.State, Is.EqualTo(ServerState.Looking));
        Assert.That(cluster[2].Driver.State, Is.EqualTo(ServerState.Looking));

        cluster.Network.HealAll();
        await Task.WhenAll(cutOff.Values).Within("the minority joins after healing");
        foreach (var (sid, task) in cutOff)
        {
            Assert.That(task.Result.LeaderSid, Is.EqualTo(4), $"server {sid} joins the established leader");
            Assert.That(task.Result.State, Is.EqualTo(ServerState.Following));
        }
    }

    [Test]
    public async Task A_following_server_answers_a_looking_newcomer_so_it_joins_the_same_leader()
    {
        await using var cluster = ElectionCluster.InMemory(3);
        cluster.Boot(1, Zxid(1, 5), 1);
        cluster.Boot(2, Zxid(1, 6), 1);
        AssertLeader(cluster, await AllDecide(cluster, 1, 2), leader: 2);

        // Zab settled the new epoch; peers that look now must hear it.
        cluster[1].Driver.UpdateElectionVote(2);
        cluster[2].Driver.UpdateElectionVote(2);

        // The newcomer has the best log, but an ensemble that works is joined, not overthrown.
        cluster.Boot(3, Zxid(1, 99), 1);
        var joined = await cluster.Look(3).Within("the newcomer decides");
        Assert.That(joined.State, Is.EqualTo(ServerState.Following));
        Assert.That(joined.LeaderSid, Is.EqualTo(2));
        Assert.That(joined.Vote.PeerEpoch, Is.EqualTo(2), "the epoch from updateElectionVote");
        Assert.That(cluster[1].Driver.State, Is.EqualTo(ServerState.Following), "still following");
        Assert.That(cluster[2].Driver.State, Is.EqualTo(ServerState.Leading), "still leading");
    }

    [Test]
    public async Task Three_servers_elect_over_loopback_tcp()
    {
        int[] ports = FreeLoopbackPorts(3);
        var members = Enumerable.Range(1, 3).Select(i => Member(i, host: "127.0.0.1", electionPort: ports[i - 1], quorumPort: 1)).ToArray();
        var tcp = new TcpPeerNetwork();
        await using var cluster = new ElectionCluster(members, TimeProvider.System, _ => tcp, network: null);
        cluster.Boot(1, Zxid(3, 1), 3);
        cluster.Boot(2, Zxid(3, 2), 3);
        cluster.Boot(3, Zxid(2, 9), 2);

        AssertLeader(cluster, await AllDecide(cluster, 1, 2, 3), leader: 2);
    }

    [Test]
    public async Task Malformed_notifications_are_dropped_and_the_election_goes_on()
    {
        var time = new ManualTimeProvider();
        await using var cluster = ElectionCluster.InMemory(3, time);
        cluster.Boot(2, Zxid(1, 5), 1);
        var looking = cluster.Look(2);

        // A peer that calls itself 3 (higher sid: it keeps the connection) sends junk, then a better vote.
        await using var java = await cluster.Network.ViewFor("java").ConnectAsync(HostOf(2), ElectionPort, TimeSpan.FromSeconds(1), CancellationToken.None);
        await java.WriteAsync(Concat(
            ElectionMessages.EncodeInitialMessage(3, ["server3:3888"]),
            Frame([1, 2, 3]),
            Frame(ElectionMessages.EncodeNotification(Looking(leader: 3, Zxid(1, 9), round: 1, peerEpoch: 1)))));

        // 2 adopts the better vote and tells everyone, 3 included.
        while (true)
        {
            var heard = ElectionMessages.DecodeNotification(await ReadFrameAsync(java));
            Assert.That(heard.State, Is.EqualTo(ServerState.Looking));
            if (heard.Leader == 3)
            {
                Assert.That(heard.Zxid, Is.EqualTo(Zxid(1, 9)));
                Assert.That(heard.ElectionEpoch, Is.EqualTo(1));
                break;
            }
        }
        Assert.That(cluster.Logs.Has(LogLevel.Warning, "Dropping a malformed notification of 3 bytes from sid 3"), Is.True);
        Assert.That(looking.IsCompleted, Is.False);
        Assert.That(cluster[2].Driver.Proposal.Id, Is.EqualTo(3));
    }

    [Test]
    public async Task Votes_that_arrive_before_the_first_election_are_kept_for_it()
    {
        var time = new ManualTimeProvider();
        await using var cluster = ElectionCluster.InMemory(3, time);
        cluster.Boot(2, Zxid(1, 5), 1);
        await using var java = await cluster.Network.ViewFor("java").ConnectAsync(HostOf(2), ElectionPort, TimeSpan.FromSeconds(1), CancellationToken.None);
        var signal = new ChangeSignal();
        cluster[2].Driver.CommandHandled += signal.Pulse;
        await java.WriteAsync(Concat(
            ElectionMessages.EncodeInitialMessage(3, ["server3:3888"]),
            Frame(ElectionMessages.EncodeNotification(Looking(leader: 3, Zxid(1, 9), round: 1, peerEpoch: 1)))));
        await signal.WaitUntilAsync(() => cluster[2].Driver.EarlyMessageCount == 1, "the vote is held for the first round");

        var looking = cluster.Look(2);
        // Round 1 starts with 2 voting for itself, then counts the held vote and switches to 3.
        while (ElectionMessages.DecodeNotification(await ReadFrameAsync(java)) is var heard && heard.Leader != 3)
            Assert.That(heard.Leader, Is.EqualTo(2));
        Assert.That(cluster[2].Driver.EarlyMessageCount, Is.Zero);
        Assert.That(looking.IsCompleted, Is.False);
    }

    [Test]
    public async Task Look_for_leader_can_be_cancelled_and_runs_one_at_a_time()
    {
        var time = new ManualTimeProvider();
        await using var cluster = ElectionCluster.InMemory(3, time);
        cluster.Boot(1, Zxid(1, 1), 1);
        var driver = cluster[1].Driver;

        using var cts = new CancellationTokenSource();
        var first = driver.LookForLeaderAsync(Zxid(1, 1), 1, cts.Token);
        var second = driver.LookForLeaderAsync(Zxid(1, 1), 1, CancellationToken.None);
        Assert.ThrowsAsync<InvalidOperationException>(async () => await second.Within("the second call"));
        await cts.CancelAsync();
        Assert.CatchAsync<OperationCanceledException>(async () => await first.Within("the cancelled call"));

        // Giving up waiting does not stop the driver; a new round can start, and disposal ends it.
        var signal = new ChangeSignal();
        driver.CommandHandled += signal.Pulse;
        var third = driver.LookForLeaderAsync(Zxid(1, 1), 1, CancellationToken.None);
        await signal.WaitUntilAsync(() => driver.LogicalClock == 2, "the second round starts");
        await driver.DisposeAsync();
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await third.Within("the call pending at disposal"));
        Assert.ThrowsAsync<ObjectDisposedException>(async () => await driver.LookForLeaderAsync(0, 0, CancellationToken.None));
    }

    [Test]
    public void Election_options_follow_the_java_properties()
    {
        var options = new ServerOptions
        {
            SystemProperties = new Dictionary<string, string>
            {
                ["zookeeper.fastleader.minNotificationInterval"] = "300",
                ["zookeeper.fastleader.maxNotificationInterval"] = "0x2710",
            },
        };
        var derived = ElectionDriver.OptionsFrom(options);
        Assert.That(derived.MinNotificationInterval, Is.EqualTo(TimeSpan.FromMilliseconds(300)));
        Assert.That(derived.MaxNotificationInterval, Is.EqualTo(TimeSpan.FromSeconds(10)), "Integer.getInteger reads hex");
        Assert.That(derived.FinalizeWait, Is.EqualTo(TimeSpan.FromMilliseconds(200)));

        var defaults = ElectionDriver.OptionsFrom(new ServerOptions());
        Assert.That(defaults.MinNotificationInterval, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
        Assert.That(defaults.MaxNotificationInterval, Is.EqualTo(TimeSpan.FromSeconds(60)));
    }

    [Test]
    public async Task Create_builds_a_driver_for_this_server_from_its_options()
    {
        var network = new InMemoryPeerNetwork();
        var options = new ServerOptions { ServerId = 2, Servers = Members(3), TickTime = 2000, SyncLimit = 5, InitLimit = 10 };
        await using var driver = ElectionDriver.Create(options, network.ViewFor(HostOf(2)), new ManualTimeProvider(), new CapturingLoggerFactory());
        driver.Start();
        Assert.That(driver.MySid, Is.EqualTo(2));
        Assert.That(driver.State, Is.EqualTo(ServerState.Looking));
        // It listens where server.2 says.
        await using var probe = await network.ViewFor("probe").ConnectAsync(HostOf(2), ElectionPort, TimeSpan.FromSeconds(1), CancellationToken.None);
    }
}

/// <summary>Servers that each run an ElectionDriver (owning its QuorumCnxManager) over one network.</summary>
internal sealed class ElectionCluster : IAsyncDisposable
{
    public sealed record Node(long Sid, long LastLoggedZxid, long CurrentEpoch, ElectionDriver Driver)
    {
        public QuorumCnxManager Manager => Driver.Manager;
    }

    private readonly IReadOnlyList<QuorumServerSpec> _members;
    private readonly TimeProvider _time;
    private readonly Func<long, IPeerNetwork> _viewFor;
    private readonly Dictionary<long, Node> _nodes = new();

    public ElectionCluster(IReadOnlyList<QuorumServerSpec> members, TimeProvider time, Func<long, IPeerNetwork> viewFor, InMemoryPeerNetwork? network)
    {
        _members = members;
        _time = time;
        _viewFor = viewFor;
        Network = network!;
    }

    public static ElectionCluster InMemory(int servers, TimeProvider? time = null)
    {
        var network = new InMemoryPeerNetwork(seed: servers);
        return new ElectionCluster(Members(servers), time ?? TimeProvider.System, sid => network.ViewFor(HostOf(sid)), network);
    }

    public InMemoryPeerNetwork Network { get; }

    public CapturingLoggerFactory Logs { get; } = new();

    public Node this[long sid] => _nodes[sid];

    /// <summary>Starts a server: its election port listens, its election loop runs; it is not looking yet.</summary>
    public void Boot(long sid, long lastLoggedZxid, long currentEpoch)
    {
        var manager = new QuorumCnxManager(sid, _members, listenOnAllIps: false, _viewFor(sid), _time, Logs);
        var driver = new ElectionDriver(manager, new QuorumMaj(_members), participant: true, _time, Logs, ElectionOptions.Default, ownsManager: true);
        _nodes[sid] = new Node(sid, lastLoggedZxid, currentEpoch, driver);
        driver.Start();
    }

    public Task<ElectionResult> Look(long sid)
    {
        var node = _nodes[sid];
        return node.Driver.LookForLeaderAsync(node.LastLoggedZxid, node.CurrentEpoch, CancellationToken.None);
    }

    /// <summary>The server drops off the network at once, then its process goes away.</summary>
    public async Task Crash(long sid)
    {
        Network?.Crash(HostOf(sid));
        await _nodes[sid].Driver.DisposeAsync().AsTask().Within($"disposing {sid}");
        _nodes.Remove(sid);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes.Values) await node.Driver.DisposeAsync().AsTask().Within($"disposing {node.Sid}");
        _nodes.Clear();
        Logs.Dispose();
    }
}
