using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Zab;

/// <summary>A committed proposal the leader still holds in memory: its zxid and PROPOSAL data (TxnHeader + txn + digest).</summary>
public sealed record CommittedProposal(long Zxid, byte[] Data);

public enum SyncMode
{
    Diff,
    Trunc,
    Snap,
}

/// <summary>
/// How the leader brings one learner up to date. <see cref="Packets"/> starts with the DIFF, TRUNC or SNAP
/// packet and then holds the PROPOSAL+COMMIT pairs to queue after it (a SNAP's stream is not included: the
/// transport writes it right after the SNAP packet). <see cref="SyncedZxid"/> is where the learner will be
/// afterwards; forwarding of newer proposals starts from it (Java's <c>startForwarding(handler, currentZxid)</c>).
/// </summary>
public sealed record SyncPlan(SyncMode Mode, IReadOnlyList<QuorumPacket> Packets, long SyncedZxid);

/// <summary>
/// LearnerHandler.syncFollower for the in-memory committed log. Syncing from the on-disk txn log
/// (a learner older than the committed log with txn-log sync enabled) is not done here: that learner gets a SNAP.
/// </summary>
public static class SyncPlanner
{
    /// <param name="peerLastZxid">The learner's last logged zxid (from its ACKEPOCH).</param>
    /// <param name="committedLog">The leader's committed log, ascending by zxid.</param>
    /// <param name="lastProcessedZxid">The leader's data tree's last applied zxid.</param>
    /// <param name="forceSnapSync"><c>zookeeper.forceSnapshotSync</c>.</param>
    public static SyncPlan Plan(long peerLastZxid, IReadOnlyList<CommittedProposal> committedLog, long lastProcessedZxid, bool forceSnapSync = false)
    {
        ArgumentNullException.ThrowIfNull(committedLog);
        bool peerAtEpochStart = Zxids.IsEpochStart(peerLastZxid);
        // An empty log behaves as a log ending exactly at the tree.
        long minCommitted = committedLog.Count == 0 ? lastProcessedZxid : committedLog[0].Zxid;
        long maxCommitted = committedLog.Count == 0 ? lastProcessedZxid : committedLog[^1].Zxid;

        if (forceSnapSync)
            return Snap(lastProcessedZxid);
        if (peerLastZxid == lastProcessedZxid)
            return new SyncPlan(SyncMode.Diff, [Op(QuorumPacketType.Diff, peerLastZxid)], peerLastZxid);
        if (peerLastZxid > maxCommitted && !peerAtEpochStart)
            return new SyncPlan(SyncMode.Trunc, [Op(QuorumPacketType.Trunc, maxCommitted)], maxCommitted);
        if (minCommitted <= peerLastZxid && peerLastZxid <= maxCommitted)
            return WalkCommittedLog(peerLastZxid, committedLog, maxCommitted) ?? Snap(lastProcessedZxid);
        return Snap(lastProcessedZxid);
    }

    // queueCommittedProposals: decide DIFF or TRUNC at the first proposal not older than the peer, then
    // send everything newer. Null means the peer's unknown tail crosses an epoch (TRUNC cannot do that).
    private static SyncPlan? WalkCommittedLog(long peerLastZxid, IReadOnlyList<CommittedProposal> log, long maxCommitted)
    {
        bool peerAtEpochStart = Zxids.IsEpochStart(peerLastZxid);
        var packets = new List<QuorumPacket>();
        SyncMode? mode = null;
        long queuedZxid = peerLastZxid;
        long previousZxid = -1;

        foreach (var proposal in log)
        {
            long zxid = proposal.Zxid;
            if (zxid < peerLastZxid)
            {
                previousZxid = zxid;
                continue;
            }
            if (mode is null)
            {
                if (zxid == peerLastZxid || peerAtEpochStart)
                {
                    packets.Add(Op(QuorumPacketType.Diff, maxCommitted));
                    mode = SyncMode.Diff;
                }
                else
                {
                    // The learner logged proposals we never committed (it may have led before).
                    if (Zxids.EpochOf(zxid) != Zxids.EpochOf(peerLastZxid)) return null;
                    packets.Add(Op(QuorumPacketType.Trunc, previousZxid));
                    mode = SyncMode.Trunc;
                }
            }
            if (zxid <= queuedZxid) continue;
            packets.Add(QuorumPackets.Create(QuorumPacketType.Proposal, zxid, proposal.Data));
            packets.Add(Op(QuorumPacketType.Commit, zxid));
            queuedZxid = zxid;
        }

        if (mode is null && peerAtEpochStart)
        {
            packets.Add(Op(QuorumPacketType.Diff, maxCommitted));
            mode = SyncMode.Diff;
        }
        return mode is { } m ? new SyncPlan(m, packets, queuedZxid) : null;
    }

    private static SyncPlan Snap(long lastProcessedZxid) =>
        new(SyncMode.Snap, [Op(QuorumPacketType.Snap, lastProcessedZxid)], lastProcessedZxid);

    private static QuorumPacket Op(QuorumPacketType type, long zxid) => QuorumPackets.Create(type, zxid);
}
