using ZkCompat.Protocol.Quorum;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>
/// The leader's end of one learner connection (Java's <c>LearnerHandler</c>): the connection, who is
/// on the other end, and how far it got. Its read loop hands every packet to the <see cref="Leader"/>.
/// </summary>
public sealed class LearnerHandler(int id, QuorumConnection connection)
{
    public int Id { get; } = id;
    public QuorumConnection Connection { get; } = connection;

    /// <summary>Known once FOLLOWERINFO/OBSERVERINFO arrived.</summary>
    public long Sid { get; set; } = -1;
    public bool IsObserver { get; set; }

    /// <summary>Discovery is over: sync packets and NEWLEADER are queued, proposals are forwarded.</summary>
    public bool Forwarding { get; set; }
    public bool AckedNewLeader { get; set; }
    public bool UpToDateSent { get; set; }

    public bool TrySend(QuorumPacket packet) => Connection.TrySend(packet);

    public override string ToString() => $"LearnerHandler(sid={Sid}, cnx={Id})";
}
