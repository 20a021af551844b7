using System.Globalization;
using System.Text.RegularExpressions;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.Server.Quorum.Zab;
using static ZkCompat.Server.Tests.Quorum.Zab.ZabScript;

namespace ZkCompat.Server.Tests.Quorum.Zab;

/// <summary>
/// Leader.getEpochToPropose / waitForEpochAck and the discovery half of LearnerHandler.run, one script per
/// case. The leader is sid 1 (acceptedEpoch 1, currentEpoch 1, last zxid 1:5, initLimit 3 ticks) in voters
/// 1…3 plus observer 4. Inputs: <c>start</c>, <c>done</c> (acceptedEpoch persisted), <c>tick</c>,
/// <c>#c follower|observer sid=N accepted=E</c> (a 1.0 FOLLOWERINFO/OBSERVERINFO), <c>#c ACKEPOCH(zxid, epoch)</c>
/// or any other packet <c>#c TYPE(zxid[, hex])</c> on connection c.
/// </summary>
public class LeaderEpochCoordinatorTests
{
    private static IEnumerable<TestCaseData> Scripts()
    {
        yield return Case("a follower makes a quorum with the leader; a late one is synced at once", 3,
            "start =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #1 LEADERINFO(2:0, 65536)",
            "#1 ACKEPOCH(1:5, 1) => persist currentEpoch 2; sync #1 sid 2 from 1:5",
            "#2 follower sid=3 accepted=1 => #2 LEADERINFO(2:0, 65536)",
            "#2 ACKEPOCH(1:3, 1) => sync #2 sid 3 from 1:3");

        yield return Case("new epoch = max(accepted epochs) + 1", 3,
            "start =>",
            "#1 follower sid=2 accepted=4 => persist acceptedEpoch 5",
            "done => #1 LEADERINFO(5:0, 65536)");

        yield return Case("observers raise the epoch but count for neither quorum", 3,
            "start =>",
            "#1 observer sid=4 accepted=7 =>",
            "#2 follower sid=2 accepted=1 => persist acceptedEpoch 8",
            "done => #1 LEADERINFO(8:0, 65536); #2 LEADERINFO(8:0, 65536)",
            "#1 ACKEPOCH(1:5, 1) =>",
            "#2 ACKEPOCH(1:5, 1) => persist currentEpoch 8; sync #1 sid 4 observer from 1:5; sync #2 sid 2 from 1:5");

        yield return Case("a learner with a later zxid in the same epoch is rejected", 3,
            "start =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #1 LEADERINFO(2:0, 65536)",
            "#1 ACKEPOCH(1:6, 1) => drop #1 LearnerAhead",
            "#2 follower sid=3 accepted=1 => #2 LEADERINFO(2:0, 65536)",
            "#2 ACKEPOCH(1:5, 1) => persist currentEpoch 2; sync #2 sid 3 from 1:5");

        yield return Case("a learner with a later current epoch is rejected", 3,
            "start =>",
            "#1 follower sid=2 accepted=2 => persist acceptedEpoch 3",
            "done => #1 LEADERINFO(3:0, 65536)",
            "#1 ACKEPOCH(2:0, 2) => drop #1 LearnerAhead");

        yield return Case("ACKEPOCH -1 skips the check and is not counted, but the learner is still synced", 3,
            "start =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #1 LEADERINFO(2:0, 65536)",
            "#1 ACKEPOCH(9:9, -1) =>",
            "#2 follower sid=3 accepted=1 => #2 LEADERINFO(2:0, 65536)",
            "#2 ACKEPOCH(1:1, 1) => persist currentEpoch 2; sync #1 sid 2 from 9:9; sync #2 sid 3 from 1:1");

        yield return Case("once established, a late learner is not checked (Java returns early)", 3,
            "start =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #1 LEADERINFO(2:0, 65536)",
            "#1 ACKEPOCH(1:5, 1) => persist currentEpoch 2; sync #1 sid 2 from 1:5",
            "#2 follower sid=3 accepted=1 => #2 LEADERINFO(2:0, 65536)",
            "#2 ACKEPOCH(1:9, 1) => sync #2 sid 3 from 1:9");

        yield return Case("a learner with a later config version is rejected", 3,
            "start =>",
            "#1 FOLLOWERINFO(1:0, 0000000000000002000100000000000000000001) => drop #1 LearnerConfigAhead");

        yield return Case("a pre-1.0 learner (sid only) gets no LEADERINFO and acks with its FOLLOWERINFO zxid", 3,
            "start =>",
            "#1 FOLLOWERINFO(1:0, 0000000000000002) => persist acceptedEpoch 2",
            "done => persist currentEpoch 2; sync #1 sid 2 from 1:0 pre-1.0");

        yield return Case("a learner without data gets a made-up negative sid that never counts", 3,
            "start =>",
            "#1 FOLLOWERINFO(1:0, null) =>",
            "#2 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #2 LEADERINFO(2:0, 65536)",
            "#2 ACKEPOCH(1:5, 1) => persist currentEpoch 2; sync #1 sid -1 from 1:0 pre-1.0; sync #2 sid 2 from 1:5");

        yield return Case("a single voter leads alone", 1,
            "start => persist acceptedEpoch 2",
            "done => persist currentEpoch 2");

        // Error paths.
        yield return Case("the first packet must introduce the learner", 3,
            "start =>",
            "#1 PING(0) => drop #1 UnexpectedPacket");
        yield return Case("the answer to LEADERINFO must be ACKEPOCH", 3,
            "start =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #1 LEADERINFO(2:0, 65536)",
            "#1 ACK(2:0) => drop #1 UnexpectedPacket");
        yield return Case("a short ACKEPOCH is malformed", 3,
            "start =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "done => #1 LEADERINFO(2:0, 65536)",
            "#1 ACKEPOCH(1:5, 00ff) => drop #1 MalformedPacket");
        yield return Case("a learner that talks before LEADERINFO is dropped", 3,
            "start =>",
            "#1 observer sid=4 accepted=1 =>",
            "#1 ACKEPOCH(1:5, 1) => drop #1 UnexpectedPacket");
        yield return Case("no quorum of FOLLOWERINFOs within initLimit", 3,
            "start =>",
            "#1 observer sid=4 accepted=1 =>",
            "tick =>",
            "tick =>",
            "tick => fail Timeout");
        yield return Case("no quorum of ACKEPOCHs within initLimit (counted from the epoch being fixed)", 3,
            "start =>",
            "tick =>",
            "tick =>",
            "#1 follower sid=2 accepted=1 => persist acceptedEpoch 2",
            "tick =>",
            "done => #1 LEADERINFO(2:0, 65536)",
            "tick =>",
            "tick =>",
            "tick => fail Timeout");
    }

    private static TestCaseData Case(string name, int voters, params string[] script) => new TestCaseData(voters, script).SetName(name);

    [TestCaseSource(nameof(Scripts))]
    public void Script(int voters, string[] script)
    {
        var leader = new LeaderEpochCoordinator(1, Ensembles.Of(voters, observers: voters == 3 ? 1 : 0),
            acceptedEpoch: 1, currentEpoch: 1, lastProcessedZxid: ParseZxid("1:5"), initLimitTicks: 3);

        foreach (var line in script)
        {
            var (input, expected) = LearnerHandshakeTests.Split(line);
            var output = input switch
            {
                "start" => leader.Start(),
                "done" => leader.PersistenceDone(),
                "tick" => leader.Tick(),
                _ => Receive(leader, input),
            };
            Assert.That(Describe(output), Is.EqualTo(expected), line);
        }
    }

    [Test]
    public void Phases_and_epoch_are_visible()
    {
        var leader = new LeaderEpochCoordinator(1, Ensembles.Of(3), acceptedEpoch: 4, currentEpoch: 4, lastProcessedZxid: 0, initLimitTicks: 10);
        Assert.That(leader.Phase, Is.EqualTo(LeaderDiscoveryPhase.NotStarted));
        Assert.Throws<InvalidOperationException>(() => leader.Receive(1, QuorumPackets.LearnerInfoPacket(false, 2, 1, 0)));

        leader.Start();
        Assert.That((leader.Phase, leader.Epoch, leader.AcceptedEpoch), Is.EqualTo((LeaderDiscoveryPhase.CollectingEpochs, 5L, 4L)));

        leader.Receive(1, QuorumPackets.LearnerInfoPacket(false, 2, 1, 0));
        Assert.That((leader.Phase, leader.Epoch, leader.AcceptedEpoch), Is.EqualTo((LeaderDiscoveryPhase.PersistingAcceptedEpoch, 5L, 5L)));

        leader.PersistenceDone();
        Assert.That(leader.Phase, Is.EqualTo(LeaderDiscoveryPhase.CollectingAcks));
        leader.Receive(1, QuorumPackets.AckEpoch(0, 1));
        Assert.That(leader.Phase, Is.EqualTo(LeaderDiscoveryPhase.Established));
        Assert.That(leader.Tick(), Is.SameAs(LeaderOutput.None), "no timeout once established");
        Assert.Throws<InvalidOperationException>(() => leader.Receive(1, QuorumPackets.Ack(Zxids.Make(5, 0))));
    }

    private static readonly Regex Introduction = new(@"^(follower|observer) sid=(-?\d+) accepted=(\d+)$");
    private static readonly Regex AckEpochLine = new(@"^ACKEPOCH\(([^,]+), (-?\d+)\)$");

    private static LeaderOutput Receive(LeaderEpochCoordinator leader, string input)
    {
        int space = input.IndexOf(' ');
        int connection = int.Parse(input[1..space], CultureInfo.InvariantCulture);
        string rest = input[(space + 1)..];
        QuorumPacket packet;
        if (Introduction.Match(rest) is { Success: true } intro)
            packet = QuorumPackets.LearnerInfoPacket(intro.Groups[1].Value == "observer", long.Parse(intro.Groups[2].Value, CultureInfo.InvariantCulture),
                long.Parse(intro.Groups[3].Value, CultureInfo.InvariantCulture), configVersion: 0);
        else if (AckEpochLine.Match(rest) is { Success: true } ack)
            packet = QuorumPackets.AckEpoch(ParseZxid(ack.Groups[1].Value), int.Parse(ack.Groups[2].Value, CultureInfo.InvariantCulture));
        else
            packet = Packet(rest);
        return leader.Receive(connection, packet);
    }
}
