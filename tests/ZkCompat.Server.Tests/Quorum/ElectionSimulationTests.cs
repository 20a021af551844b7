using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Tests.Quorum;

/// <summary>
/// Whole ensembles electing over a lossy, reordering in-memory network. Each seed is its own test case,
/// and every failure message starts with the seed, so one failing run reproduces with
/// <c>--filter Name~_5servers_seed17</c>.
/// </summary>
public class ElectionSimulationTests
{
    private const long OneMinute = 6_000; // ticks of 10 ms

    private static readonly ElectionSimulation.Network Lossy = new(MaxDelayTicks: 15, DropRate: 0.1);
    private static readonly ElectionSimulation.Network Reliable = new(MaxDelayTicks: 5, DropRate: 0);

    private static IEnumerable<TestCaseData> Seeds(int servers, int count) =>
        Enumerable.Range(1, count).Select(seed => new TestCaseData(servers, seed).SetName("{m}_" + $"{servers}servers_seed{seed}"));

    private static IEnumerable<TestCaseData> AllSeeds() => Seeds(3, 100).Concat(Seeds(5, 100));

    /// <summary>Random but plausible histories: epochs 1…3, a few zxids each, ties on purpose.</summary>
    private static void BootAll(ElectionSimulation sim, Random random)
    {
        foreach (var sid in sim.Nodes.Keys)
        {
            long epoch = random.Next(1, 4);
            long zxid = (epoch << 32) | (uint)random.Next(0, 3);
            sim.Boot(sid, zxid, epoch);
        }
    }

    [TestCaseSource(nameof(AllSeeds))]
    public void Lossy_network_elects_one_leader_backed_by_a_quorum(int servers, int seed)
    {
        var qv = Ensembles.Of(servers);
        var sim = new ElectionSimulation(seed, qv, Lossy);
        BootAll(sim, new Random(seed * 7919));

        bool decided = sim.RunUntil(() => sim.Settled, 10 * OneMinute);

        string why = $"seed {seed}, {servers} servers (rerun: --filter Name~_{servers}servers_seed{seed})\n{sim.Tail()}";
        Assert.That(decided, Is.True, "every server settles on one leader within 10 simulated minutes; " + why);
        AssertOneLeaderAgreedByAll(sim, why);
        AssertLeaderBeatsAQuorum(sim, qv, why);
    }

    [TestCaseSource(nameof(AllSeeds))]
    public void Reliable_fast_network_elects_the_best_server(int servers, int seed)
    {
        var qv = Ensembles.Of(servers);
        var sim = new ElectionSimulation(seed, qv, Reliable);
        BootAll(sim, new Random(seed * 7919));

        bool decided = sim.RunUntil(() => sim.AllUpDecided, OneMinute);

        string why = $"seed {seed}, {servers} servers (rerun: --filter Name~_{servers}servers_seed{seed})\n{sim.Tail()}";
        Assert.That(decided, Is.True, "every server decides; " + why);
        Assert.That(sim.Restarts, Is.Zero, "one round settles it, nobody has to look again; " + why);
        AssertOneLeaderAgreedByAll(sim, why);
        // Delays below finalizeWait: every server hears every initial vote before it settles.
        var best = sim.Nodes.Values.Select(n => n.InitialVote).Aggregate((a, b) => Vote.IsBetter(b.Id, b.Zxid, b.PeerEpoch, a.Id, a.Zxid, a.PeerEpoch) ? b : a);
        Assert.That(sim.Nodes.Values.First().Result!.LeaderSid, Is.EqualTo(best.Id), "the (epoch, zxid, sid) maximum leads; " + why);
    }

    [TestCase(3, 1)]
    [TestCase(3, 2)]
    [TestCase(5, 3)]
    [TestCase(5, 4)]
    public void A_late_joiner_follows_the_established_leader_even_with_a_better_history(int servers, int seed)
    {
        var qv = Ensembles.Of(servers);
        var sim = new ElectionSimulation(seed, qv, Lossy);
        int quorum = servers / 2 + 1;
        for (long sid = 1; sid <= quorum; sid++) sim.Boot(sid, 0x100000002, 1);
        Assert.That(sim.RunUntil(() => sim.Settled, 10 * OneMinute), Is.True, $"seed {seed}: first quorum decides\n{sim.Tail()}");
        long leader = sim.Nodes[1].Result!.LeaderSid;

        int restartsBefore = sim.Restarts;

        // The latecomers have a newer epoch and the highest sids: in a fresh election they would win.
        for (long sid = quorum + 1; sid <= servers; sid++) sim.Boot(sid, 0x200000009, 2);
        bool joined = sim.RunUntil(() => sim.Settled, 10 * OneMinute);

        string why = $"seed {seed}\n{sim.Tail()}";
        Assert.That(joined, Is.True, "latecomers decide; " + why);
        Assert.That(sim.Restarts, Is.EqualTo(restartsBefore), "they join through FLE alone; " + why);
        for (long sid = quorum + 1; sid <= servers; sid++)
            Assert.That((sim.Nodes[sid].Result!.State, sim.Nodes[sid].Result!.LeaderSid), Is.EqualTo((ServerState.Following, leader)), $"server {sid}; " + why);
    }

    [TestCase(3, 11)]
    [TestCase(5, 12)]
    [TestCase(5, 13)]
    public void A_minority_never_elects_and_backs_off_to_one_resend_a_minute(int servers, int seed)
    {
        var qv = Ensembles.Of(servers);
        var sim = new ElectionSimulation(seed, qv, Lossy);
        for (long sid = 1; sid <= servers / 2; sid++) sim.Boot(sid, 0x100000000 + sid, 1);

        Assert.That(sim.RunUntil(() => sim.Nodes.Values.Any(n => n.Result is not null), 30 * OneMinute), Is.False,
            $"seed {seed}: nobody decides without a quorum\n{sim.Tail()}");
        long sentBefore = sim.MessagesSent;
        sim.RunUntil(() => false, 10 * OneMinute);
        foreach (var node in sim.Nodes.Values.Where(n => n.Up))
            Assert.That(node.Election.NotificationTimeout, Is.EqualTo(TimeSpan.FromSeconds(60)), $"seed {seed}");
        // Each of the k servers resends to the other n-1 voters about once a minute.
        Assert.That(sim.MessagesSent - sentBefore, Is.LessThanOrEqualTo(11L * (servers / 2) * (servers - 1)), $"seed {seed}");
    }

    [TestCase(5, 21)]
    [TestCase(5, 22)]
    [TestCase(3, 23)]
    public void After_the_leader_crashes_the_survivors_elect_a_new_one(int servers, int seed)
    {
        var qv = Ensembles.Of(servers);
        var sim = new ElectionSimulation(seed, qv, Lossy);
        BootAll(sim, new Random(seed));
        Assert.That(sim.RunUntil(() => sim.Settled, 10 * OneMinute), Is.True, $"seed {seed}\n{sim.Tail()}");
        long oldLeader = sim.Nodes[1].Result!.LeaderSid;

        // What Zab would do: the leader is gone, everyone else goes back to LOOKING with the epoch it had joined.
        sim.Crash(oldLeader);
        foreach (var node in sim.Nodes.Values.Where(n => n.Up))
            sim.Boot(node.Sid, node.InitialVote.Zxid, node.InitialVote.PeerEpoch);
        bool decided = sim.RunUntil(() => sim.Settled, 10 * OneMinute);

        string why = $"seed {seed}\n{sim.Tail()}";
        Assert.That(decided, Is.True, why);
        AssertOneLeaderAgreedByAll(sim, why);
        Assert.That(sim.Nodes.Values.First(n => n.Up).Result!.LeaderSid, Is.Not.EqualTo(oldLeader), why);
    }

    private static void AssertOneLeaderAgreedByAll(ElectionSimulation sim, string why)
    {
        var up = sim.Nodes.Values.Where(n => n.Up).ToList();
        var leaders = up.Select(n => n.Result!.LeaderSid).Distinct().ToList();
        Assert.That(leaders, Has.Count.EqualTo(1), "all agree on the leader; " + why);
        long leader = leaders[0];
        foreach (var node in up)
        {
            var expected = node.Sid == leader ? ServerState.Leading : ServerState.Following;
            Assert.That(node.Result!.State, Is.EqualTo(expected), $"server {node.Sid}; " + why);
        }
    }

    // FLE only promises that the leader's vote is at least as good as each of a quorum's own votes:
    // every server of the deciding quorum started from its own vote and only ever moved to better ones.
    private static void AssertLeaderBeatsAQuorum(ElectionSimulation sim, QuorumMaj qv, string why)
    {
        var leader = sim.Nodes[sim.Nodes.Values.First(n => n.Up).Result!.LeaderSid].InitialVote;
        var dominated = sim.Nodes.Values
            .Where(n => n.Up && !Vote.IsBetter(n.InitialVote.Id, n.InitialVote.Zxid, n.InitialVote.PeerEpoch, leader.Id, leader.Zxid, leader.PeerEpoch))
            .Select(n => n.Sid);
        Assert.That(qv.ContainsQuorum(dominated), Is.True, "the leader is the (epoch, zxid, sid) maximum of a quorum; " + why);
    }
}
