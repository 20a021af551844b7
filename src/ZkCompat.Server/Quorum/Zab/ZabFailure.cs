namespace ZkCompat.Server.Quorum.Zab;

/// <summary>Why a Zab handshake gave up on a connection (or, for the leader, on leading).</summary>
public enum ZabError
{
    /// <summary>A packet of a type the phase does not allow (Java closes the connection or exits).</summary>
    UnexpectedPacket,
    /// <summary>A payload that is missing or too short for its type.</summary>
    MalformedPacket,
    /// <summary>LEADERINFO proposes an epoch below the one this learner already accepted.</summary>
    LeaderEpochBehind,
    /// <summary>The learner's (currentEpoch, lastZxid) is newer than the leader's.</summary>
    LearnerAhead,
    /// <summary>The learner has activated a later configuration than the leader's.</summary>
    LearnerConfigAhead,
    /// <summary>No quorum joined (or acknowledged the epoch) within initLimit ticks.</summary>
    Timeout,
    /// <summary>Something this slice does not implement yet (pre-Zab-1.0 leaders, reconfig during sync).</summary>
    Unsupported,
}

/// <summary>A typed reason plus the text Java would log.</summary>
public sealed record ZabFailure(ZabError Error, string Message);
