using System.Globalization;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.Server.Quorum.Zab;

namespace ZkCompat.Server.Tests.Quorum.Zab;

/// <summary>
/// Every row of the DIFF/TRUNC/SNAP table (protocol notes 4.7, LearnerHandler.syncFollower and
/// queueCommittedProposals). Zxids are written epoch:counter; plans as the packets they queue.
/// </summary>
public class SyncPlannerTests
{
    // The usual leader: epochs 1 and 2 in memory, tree at 2:3.
    private const string Log = "1:1 1:2 1:3 2:1 2:2 2:3";

    [TestCase(Log, "2:3", "1:2", true, "SNAP(2:3)", "2:3", TestName = "forced snap sync wins over everything")]
    [TestCase(Log, "2:3", "2:3", false, "DIFF(2:3)", "2:3", TestName = "peer == last: empty DIFF at the peer's zxid")]
    [TestCase("", "1:3", "1:3", false, "DIFF(1:3)", "1:3", TestName = "peer == last with an empty committed log")]
    [TestCase(Log, "2:3", "2:5", false, "TRUNC(2:3)", "2:3", TestName = "peer past the log, mid-epoch: TRUNC to maxCommitted")]
    [TestCase("", "1:3", "1:7", false, "TRUNC(1:3)", "1:3", TestName = "peer past an empty log: TRUNC to the tree")]
    [TestCase(Log, "2:3", "1:2", false, "DIFF(2:3) P(1:3) C(1:3) P(2:1) C(2:1) P(2:2) C(2:2) P(2:3) C(2:3)", "2:3", TestName = "peer in the log: DIFF(maxCommitted) then everything newer")]
    [TestCase(Log, "2:3", "1:1", false, "DIFF(2:3) P(1:2) C(1:2) P(1:3) C(1:3) P(2:1) C(2:1) P(2:2) C(2:2) P(2:3) C(2:3)", "2:3", TestName = "peer at minCommitted")]
    [TestCase(Log, "2:3", "2:2", false, "DIFF(2:3) P(2:3) C(2:3)", "2:3", TestName = "peer one behind")]
    [TestCase(Log, "2:3", "2:0", false, "DIFF(2:3) P(2:1) C(2:1) P(2:2) C(2:2) P(2:3) C(2:3)", "2:3", TestName = "peer at an epoch start not in the log: DIFF")]
    [TestCase("1:1 1:2 1:5 2:1", "2:1", "1:3", false, "TRUNC(1:2) P(1:5) C(1:5) P(2:1) C(2:1)", "2:1", TestName = "peer has an unknown tail in the same epoch: TRUNC to the proposal before it")]
    [TestCase(Log, "2:3", "1:4", false, "SNAP(2:3)", "2:3", TestName = "peer has an unknown tail crossing an epoch: SNAP")]
    [TestCase(Log, "2:3", "3:0", false, "SNAP(2:3)", "2:3", TestName = "peer past the log at an epoch start: SNAP")]
    [TestCase(Log, "2:3", "0:5", false, "SNAP(2:3)", "2:3", TestName = "peer older than the committed log: SNAP (no txn-log sync)")]
    [TestCase(Log, "2:3", "0:0", false, "SNAP(2:3)", "2:3", TestName = "fresh peer: SNAP")]
    [TestCase("", "1:3", "1:1", false, "SNAP(1:3)", "1:3", TestName = "peer behind an empty log: SNAP")]
    public void Plan_matches_syncFollower(string log, string last, string peer, bool force, string expectedPackets, string expectedSynced)
    {
        var committed = log.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(z => new CommittedProposal(Z(z), Payload(Z(z)))).ToList();

        var plan = SyncPlanner.Plan(Z(peer), committed, Z(last), force);

        Assert.That(Describe(plan.Packets), Is.EqualTo(expectedPackets));
        Assert.That(Show(plan.SyncedZxid), Is.EqualTo(expectedSynced));
        Assert.That(plan.Mode.ToString().ToUpperInvariant(), Is.EqualTo(expectedPackets.Split('(')[0]));
    }

    [Test]
    public void Proposals_carry_the_committed_log_bytes()
    {
        var committed = new List<CommittedProposal> { new(Z("1:1"), [1]), new(Z("1:2"), [2, 2]) };

        var plan = SyncPlanner.Plan(Z("1:1"), committed, Z("1:2"));

        var proposal = plan.Packets[1];
        Assert.That((proposal.Type, proposal.Zxid, proposal.Data, proposal.Authinfo), Is.EqualTo(((int)QuorumPacketType.Proposal, Z("1:2"), new byte[] { 2, 2 }, (List<ZkCompat.Protocol.Data.Id>?)null)));
    }

    internal static long Z(string epochColonCounter)
    {
        var parts = epochColonCounter.Split(':');
        return Zxids.Make(long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    internal static string Show(long zxid) => $"{Zxids.EpochOf(zxid)}:{Zxids.CounterOf(zxid)}";

    private static byte[] Payload(long zxid) => BitConverter.GetBytes(zxid);

    private static string Describe(IEnumerable<QuorumPacket> packets) => string.Join(' ', packets.Select(p => (QuorumPacketType)p.Type switch
    {
        QuorumPacketType.Proposal => $"P({Show(p.Zxid)})",
        QuorumPacketType.Commit => $"C({Show(p.Zxid)})",
        var t => $"{t.ToString().ToUpperInvariant()}({Show(p.Zxid)})",
    }));
}
