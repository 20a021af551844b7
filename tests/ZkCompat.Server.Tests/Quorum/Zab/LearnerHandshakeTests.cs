using ZkCompat.Server.Quorum.Transport;
using ZkCompat.Server.Quorum.Zab;
using static ZkCompat.Server.Tests.Quorum.Zab.ZabScript;

namespace ZkCompat.Server.Tests.Quorum.Zab;

/// <summary>
/// Learner.registerWithLeader + syncWithLeader, one script per case. Each line is
/// <c>input =&gt; expected actions</c>; the input is <c>start</c>, <c>done</c> (the driver finished the durable
/// actions) or a packet from the leader. The learner is sid 3 with lastLoggedZxid 1:3 and currentEpoch 1.
/// </summary>
public class LearnerHandshakeTests
{
    private static IEnumerable<TestCaseData> Scripts()
    {
        yield return Case("DIFF with history: proposals logged at NEWLEADER, acked and committed after UPTODATE", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "DIFF(1:5) =>",
            "PROPOSAL(1:4) =>",
            "COMMIT(1:4) =>",
            "PROPOSAL(1:5) =>",
            "COMMIT(1:5) =>",
            "PING(1:5) =>",
            "NEWLEADER(2:0) => log 1:4,1:5; persist currentEpoch 2",
            "done => send ACK(2:0)",
            "PROPOSAL(2:1) =>",
            "COMMIT(2:1) =>",
            "UPTODATE(-1) => send ACK(2:0); serve ack[1:4,1:5] log[2:1] commit[1:4,1:5,2:1]");

        yield return Case("epoch already accepted: ACKEPOCH -1, nothing persisted before it; NEWLEADER's config recorded", false, 2,
            "start => send FOLLOWERINFO(2:0, sid 3)",
            "LEADERINFO(2:0) => send ACKEPOCH(1:3, -1)",
            $"DIFF(1:3) =>",
            $"NEWLEADER(2:0, {Hex("version=0")}) => config version=0; persist currentEpoch 2",
            "done => send ACK(2:0)",
            "UPTODATE(-1) => send ACK(2:0); serve ack[] log[] commit[]");

        yield return Case("SNAP: stream loaded, proposals applied in memory on COMMIT, synced snapshot at NEWLEADER", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "SNAP(1:9) => load snapshot 1:9",
            "PROPOSAL(1:10) =>",
            "COMMIT(1:10) => apply 1:10",
            "NEWLEADER(2:0) => snapshot+sync; persist currentEpoch 2",
            "done => send ACK(2:0)",
            "PROPOSAL(2:1) =>",
            "UPTODATE(-1) => send ACK(2:0); serve ack[] log[2:1] commit[]");

        yield return Case("TRUNC: log truncated, unsynced snapshot at NEWLEADER", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "TRUNC(1:2) => truncate to 1:2",
            "PROPOSAL(1:3) =>",
            "COMMIT(1:3) => apply 1:3",
            "NEWLEADER(2:0) => snapshot; persist currentEpoch 2",
            "done => send ACK(2:0)",
            "UPTODATE(-1) => send ACK(2:0); serve ack[] log[] commit[]");

        yield return Case("a COMMIT that is not for the oldest pending proposal is ignored, as Java only warns", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "SNAP(1:9) => load snapshot 1:9",
            "PROPOSAL(1:10) =>",
            "PROPOSAL(1:11) =>",
            "COMMIT(1:11) =>",
            "COMMIT(1:10) => apply 1:10",
            "COMMIT(1:11) => apply 1:11");

        yield return Case("observer: OBSERVERINFO, INFORMs kept, nothing logged at NEWLEADER", true, 1,
            "start => send OBSERVERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "DIFF(1:4) =>",
            "INFORM(1:4) =>",
            "NEWLEADER(2:0) => persist currentEpoch 2",
            "done => send ACK(2:0)",
            "INFORM(2:1) =>",
            "UPTODATE(-1) => send ACK(2:0); serve ack[] log[1:4,2:1] commit[1:4,2:1]");

        yield return Case("observer in SNAP mode applies INFORMs at once", true, 1,
            "start => send OBSERVERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "SNAP(1:9) => load snapshot 1:9",
            "INFORM(1:10) => apply 1:10");

        // Error paths.
        yield return Case("leader's epoch below our accepted epoch", false, 3,
            "start => send FOLLOWERINFO(3:0, sid 3)",
            "LEADERINFO(2:0) => fail LeaderEpochBehind");
        yield return Case("LEADERINFO without its version", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0, 0001) => fail MalformedPacket");
        yield return Case("LEADERINFO with no data at all", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0, null) => fail MalformedPacket");
        yield return Case("pre-1.0 leader answers NEWLEADER", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "NEWLEADER(2:0) => fail Unsupported");
        yield return Case("first reply is neither LEADERINFO nor NEWLEADER", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "DIFF(1:3) => fail UnexpectedPacket");
        yield return Case("sync must start with DIFF, TRUNC or SNAP", false, 1,
            "start => send FOLLOWERINFO(1:0, sid 3)",
            "LEADERINFO(2:0) => persist acceptedEpoch 2",
            "done => send ACKEPOCH(1:3, 1)",
            "PROPOSAL(1:4) => fail UnexpectedPacket");
        yield return Case("COMMIT with nothing pending in SNAP mode", false, 2,
            "start => send FOLLOWERINFO(2:0, sid 3)",
            "LEADERINFO(2:0) => send ACKEPOCH(1:3, -1)",
            "SNAP(1:9) => load snapshot 1:9",
            "COMMIT(1:10) => fail UnexpectedPacket");
        yield return Case("PROPOSAL without a txn", false, 2,
            "start => send FOLLOWERINFO(2:0, sid 3)",
            "LEADERINFO(2:0) => send ACKEPOCH(1:3, -1)",
            "DIFF(1:3) =>",
            "PROPOSAL(1:4, null) => fail MalformedPacket");
        yield return Case("UPTODATE before NEWLEADER (pre-1.0 leader)", false, 2,
            "start => send FOLLOWERINFO(2:0, sid 3)",
            "LEADERINFO(2:0) => send ACKEPOCH(1:3, -1)",
            "DIFF(1:3) =>",
            "UPTODATE(-1) => fail Unsupported");
        yield return Case("reconfig during sync", false, 2,
            "start => send FOLLOWERINFO(2:0, sid 3)",
            "LEADERINFO(2:0) => send ACKEPOCH(1:3, -1)",
            "DIFF(1:3) =>",
            "COMMITANDACTIVATE(1:4, 0000000000000001) => fail Unsupported");
    }

    private static TestCaseData Case(string name, bool observer, long acceptedEpoch, params string[] script) =>
        new TestCaseData(observer, acceptedEpoch, script).SetName(name);

    [TestCaseSource(nameof(Scripts))]
    public void Script(bool observer, long acceptedEpoch, string[] script)
    {
        var learner = new LearnerHandshake(myId: 3, observer, acceptedEpoch, currentEpoch: 1, lastLoggedZxid: ParseZxid("1:3"), configVersion: 0);

        foreach (var line in script)
        {
            var (input, expected) = Split(line);
            var output = input switch
            {
                "start" => learner.Start(),
                "done" => learner.PersistenceDone(),
                _ => learner.Step(Packet(input)),
            };
            Assert.That(Describe(output), Is.EqualTo(expected), line);
        }
    }

    [Test]
    public void Phases_follow_the_handshake_and_packets_are_refused_while_persisting()
    {
        var learner = new LearnerHandshake(3, false, acceptedEpoch: 1, currentEpoch: 1, lastLoggedZxid: ParseZxid("1:3"), configVersion: 0);
        learner.Start();
        Assert.That(learner.Phase, Is.EqualTo(LearnerPhase.AwaitingLeaderInfo));

        learner.Step(Packet("LEADERINFO(2:0)"));
        Assert.That((learner.Phase, learner.AcceptedEpoch, learner.NewEpoch, learner.LeaderProtocolVersion), Is.EqualTo((LearnerPhase.PersistingAcceptedEpoch, 2L, 2L, 0x10000)));
        Assert.Throws<InvalidOperationException>(() => learner.Step(Packet("DIFF(1:3)")));

        learner.PersistenceDone();
        learner.Step(Packet("DIFF(1:3)"));
        Assert.That((learner.Phase, learner.Mode), Is.EqualTo((LearnerPhase.Syncing, (SyncMode?)SyncMode.Diff)));
        Assert.Throws<InvalidOperationException>(() => learner.PersistenceDone());

        learner.Step(Packet("NEWLEADER(2:0)"));
        learner.PersistenceDone();
        learner.Step(Packet("UPTODATE(-1)"));
        Assert.That(learner.Phase, Is.EqualTo(LearnerPhase.Synced));
        Assert.Throws<InvalidOperationException>(() => learner.Step(Packet("PING(2:0)")));
    }

    [Test]
    public void A_failure_is_kept_and_ends_the_handshake()
    {
        var learner = new LearnerHandshake(3, false, acceptedEpoch: 5, currentEpoch: 5, lastLoggedZxid: 0, configVersion: 0);
        learner.Start();

        learner.Step(Packet("LEADERINFO(4:0)"));

        Assert.That(learner.Phase, Is.EqualTo(LearnerPhase.Failed));
        Assert.That(learner.Failure!.Message, Is.EqualTo("leader's epoch 4 is less than accepted epoch 5"));
        Assert.Throws<InvalidOperationException>(() => learner.Step(Packet("LEADERINFO(6:0)")));
    }

    [TestCase("1:3", TestName = "learner in the leader's log")]
    [TestCase("1:1", TestName = "learner further behind")]
    [TestCase("1:7", TestName = "learner with an unknown tail")]
    [TestCase("0:0", TestName = "fresh learner")]
    public void A_learner_fed_the_planners_packets_ends_with_the_leaders_history(string learnerLast)
    {
        long[] history = [ParseZxid("1:1"), ParseZxid("1:2"), ParseZxid("1:3"), ParseZxid("1:4"), ParseZxid("1:5")];
        var log = history.Select(z => new CommittedProposal(z, TxnBytes(z))).ToList();
        var learner = new LearnerHandshake(3, false, acceptedEpoch: 1, currentEpoch: 1, lastLoggedZxid: ParseZxid(learnerLast), configVersion: 0);
        learner.Start();
        learner.Step(QuorumPackets.LeaderInfo(2));
        var ackEpoch = learner.PersistenceDone().Actions.OfType<SendToLeader>().Single().Packet;

        var plan = SyncPlanner.Plan(ackEpoch.Zxid, log, lastProcessedZxid: history[^1]);
        var actions = plan.Packets.Concat([QuorumPackets.NewLeader(Zxids.Make(2, 0), null)]).SelectMany(p => learner.Step(p).Actions).ToList();
        learner.PersistenceDone();
        actions.AddRange(learner.Step(QuorumPackets.UpToDate()).Actions);

        // What the learner ends up with: a SNAP's tree, a TRUNC point or its own log, plus what it applied or committed.
        long start = actions.OfType<LoadSnapshotStream>().Select(a => a.Zxid)
            .Concat(actions.OfType<TruncateLog>().Select(a => a.Zxid)).DefaultIfEmpty(ParseZxid(learnerLast)).First();
        var received = actions.OfType<ApplyTxn>().Select(a => a.Txn.Zxid)
            .Concat(actions.OfType<StartServing>().Single().ToCommit).ToList();
        Assert.That(history.Where(z => z <= start).Concat(received), Is.EqualTo(history));
        Assert.That(learner.Phase, Is.EqualTo(LearnerPhase.Synced));
    }

    internal static (string Input, string Expected) Split(string line)
    {
        int arrow = line.IndexOf("=>", StringComparison.Ordinal);
        return (line[..arrow].Trim(), line[(arrow + 2)..].Trim());
    }
}
