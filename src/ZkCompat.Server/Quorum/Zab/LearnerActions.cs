using ZkCompat.Protocol.Quorum;

namespace ZkCompat.Server.Quorum.Zab;

/// <summary>A proposal received during sync, kept until it is logged or applied.</summary>
public sealed record PendingTxn(long Zxid, byte[] Data);

/// <summary>Something the learner's driver must do, in order. Durable ones are marked on each type.</summary>
public abstract record LearnerAction;

/// <summary>Write this packet to the leader.</summary>
public sealed record SendToLeader(QuorumPacket Packet) : LearnerAction;

/// <summary>Durable: write the acceptedEpoch file.</summary>
public sealed record PersistAcceptedEpoch(long Epoch) : LearnerAction;

/// <summary>Durable: write the currentEpoch file.</summary>
public sealed record PersistCurrentEpoch(long Epoch) : LearnerAction;

/// <summary>
/// Durable: drop every logged txn above <paramref name="Zxid"/> and reload to it, then treat it as the
/// last processed zxid. Java exits the process when the log cannot be truncated.
/// </summary>
public sealed record TruncateLog(long Zxid) : LearnerAction;

/// <summary>
/// Read the snapshot stream that follows the SNAP packet on the socket (sessions, ACLs, nodes, then the
/// "BenWasHere" signature), replace the tree with it and set the last processed zxid to <paramref name="Zxid"/>.
/// Must be done before the next packet is read.
/// </summary>
public sealed record LoadSnapshotStream(long Zxid) : LearnerAction;

/// <summary>Apply a committed txn to the in-memory tree only (it reaches disk with the snapshot taken at NEWLEADER).</summary>
public sealed record ApplyTxn(PendingTxn Txn) : LearnerAction;

/// <summary>Remember the config the leader last saw (NEWLEADER's data), for interrupted reconfigs.</summary>
public sealed record RecordLastSeenConfig(string ConfigText) : LearnerAction;

/// <summary>Durable: snapshot the tree (after SNAP or TRUNC; <paramref name="SyncSnapshot"/> = fsync it, after SNAP).</summary>
public sealed record TakeSnapshot(bool SyncSnapshot) : LearnerAction;

/// <summary>Durable: append these txns to the txn log and fsync.</summary>
public sealed record LogTxns(IReadOnlyList<PendingTxn> Txns) : LearnerAction;

/// <summary>
/// Sync is over: start serving clients, then hand the broadcast pipeline what arrived during sync —
/// ACK <paramref name="AckZxids"/> (proposals logged at NEWLEADER, acked only now as 3.8.5+ does), log
/// <paramref name="ToLog"/> as ordinary proposals, and commit <paramref name="ToCommit"/> in order.
/// </summary>
public sealed record StartServing(IReadOnlyList<long> AckZxids, IReadOnlyList<PendingTxn> ToLog, IReadOnlyList<long> ToCommit) : LearnerAction;

/// <summary>What one call into <see cref="LearnerHandshake"/> produced. A failure means: close the connection.</summary>
public sealed record LearnerOutput(IReadOnlyList<LearnerAction> Actions, ZabFailure? Failure)
{
    public static readonly LearnerOutput None = new([], null);
}
