namespace ZkCompat.Server.Quorum.Election;

/// <summary>A peer's state as it travels in notifications; the numeric values are the wire values.</summary>
public enum ServerState
{
    Looking = 0,
    Following = 1,
    Leading = 2,
    Observing = 3,
}

/// <summary>
/// A vote for a leader: the proposed leader's sid, its last zxid and its epoch (peerEpoch), plus the
/// round (electionEpoch) it was cast in and the voter's state. Value equality compares every field;
/// <see cref="AgreesWith"/> is the looser rule the election uses to count supporters.
/// </summary>
public readonly record struct Vote(
    long Id,
    long Zxid,
    long ElectionEpoch,
    long PeerEpoch,
    ServerState State = ServerState.Looking,
    int Version = 0)
{
    /// <summary>
    /// Java's <c>Vote.equals</c>: a LOOKING vote on either side must match on leader, zxid, round and
    /// epoch. Between servers out of election only leader and epoch matter (their zxids and rounds drift
    /// apart legitimately), and only the leader when one side predates the versioned format.
    /// </summary>
    public bool AgreesWith(Vote other)
    {
        if (State == ServerState.Looking || other.State == ServerState.Looking)
            return Id == other.Id && Zxid == other.Zxid && ElectionEpoch == other.ElectionEpoch && PeerEpoch == other.PeerEpoch;
        if ((Version > 0) ^ (other.Version > 0))
            return Id == other.Id;
        return Id == other.Id && PeerEpoch == other.PeerEpoch;
    }

    /// <summary>
    /// The total order of candidates: higher epoch, then higher zxid, then higher sid. Java's
    /// <c>totalOrderPredicate</c>; the caller also requires the new candidate to have weight.
    /// </summary>
    public static bool IsBetter(long newId, long newZxid, long newEpoch, long curId, long curZxid, long curEpoch) =>
        newEpoch > curEpoch
        || (newEpoch == curEpoch && (newZxid > curZxid || (newZxid == curZxid && newId > curId)));

    public override string ToString() =>
        $"({Id}, 0x{Zxid:x}, round 0x{ElectionEpoch:x}, epoch 0x{PeerEpoch:x}, {State})";
}
