using ZkCompat.Protocol.Quorum;

namespace ZkCompat.Server.Quorum.Zab;

/// <summary>Something the leader's driver must do, in order.</summary>
public abstract record LeaderAction;

/// <summary>Write this packet on the learner connection <paramref name="Connection"/>.</summary>
public sealed record SendToLearner(int Connection, QuorumPacket Packet) : LeaderAction;

/// <summary>Close the learner connection (Java's LearnerHandler gives up on it).</summary>
public sealed record DropLearner(int Connection, ZabFailure Failure) : LeaderAction;

/// <summary>Durable: write the leader's acceptedEpoch file. LEADERINFOs wait for it.</summary>
public sealed record PersistLeaderAcceptedEpoch(long Epoch) : LeaderAction;

/// <summary>Durable: write the leader's currentEpoch file (a quorum acknowledged the epoch).</summary>
public sealed record PersistLeaderCurrentEpoch(long Epoch) : LeaderAction;

/// <summary>
/// Discovery is over for this learner: sync it (see <see cref="SyncPlanner"/>) from <paramref name="PeerLastZxid"/>.
/// <paramref name="ProtocolVersion"/> below 0x10000 means a pre-1.0 learner (NEWLEADER without data).
/// </summary>
public sealed record LearnerReadyToSync(int Connection, long Sid, bool IsObserver, long PeerLastZxid, int ProtocolVersion) : LeaderAction;

/// <summary>What one call into <see cref="LeaderEpochCoordinator"/> produced. A failure means: stop leading, go back to LOOKING.</summary>
public sealed record LeaderOutput(IReadOnlyList<LeaderAction> Actions, ZabFailure? Failure)
{
    public static readonly LeaderOutput None = new([], null);
}
