using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Zab;

public enum LeaderDiscoveryPhase
{
    NotStarted,
    /// <summary>Waiting for a quorum (the leader included) of FOLLOWERINFOs to fix the epoch.</summary>
    CollectingEpochs,
    /// <summary>Epoch fixed; waiting for the driver to persist acceptedEpoch.</summary>
    PersistingAcceptedEpoch,
    /// <summary>LEADERINFOs sent; waiting for a quorum of ACKEPOCHs.</summary>
    CollectingAcks,
    /// <summary>A quorum acknowledged the epoch; late learners are synced as soon as they ACKEPOCH.</summary>
    Established,
    Failed,
}

/// <summary>
/// The leader side of Zab discovery (Java's Leader.getEpochToPropose and waitForEpochAck plus the first
/// half of LearnerHandler.run) over all learner connections, as a pure state machine. The driver numbers
/// connections, feeds their packets to <see cref="Receive"/>, calls <see cref="Tick"/> every tickTime and
/// performs the returned <see cref="LeaderAction"/>s in order. Each learner ends in <see cref="LearnerReadyToSync"/>
/// or <see cref="DropLearner"/>. Not thread-safe.
/// A learner that sends anything while it should be waiting is dropped (Java would read it later as the
/// ACKEPOCH, or after sync); a well-behaved learner never does.
/// </summary>
public sealed class LeaderEpochCoordinator
{
    private enum LearnerStage { AwaitingEpoch, AwaitingAckEpoch, AwaitingQuorum, Handed }

    private sealed class Learner(long sid, bool observer, int version, long infoZxid)
    {
        public long Sid { get; } = sid;
        public bool IsObserver { get; } = observer;
        public int ProtocolVersion { get; } = version;
        public long InfoZxid { get; } = infoZxid;
        public LearnerStage Stage { get; set; } = LearnerStage.AwaitingEpoch;
        public long PeerLastZxid { get; set; }
    }

    private readonly long _myId;
    private readonly QuorumMaj _verifier;
    private readonly long _currentEpoch;
    private readonly long _lastZxid;
    private readonly int _initLimitTicks;

    // Java's connectingFollowers / electingFollowers; sids stay even if their connection drops.
    private readonly HashSet<long> _connecting = new();
    private readonly HashSet<long> _electing = new();
    private readonly SortedDictionary<int, Learner> _learners = new();
    private readonly List<LeaderAction> _actions = new();
    private long _followerCounter = -1;
    private int _ticksWaited;

    /// <param name="myId">The leader's sid.</param>
    /// <param name="verifier">The leader's quorum config (voters and its version).</param>
    /// <param name="acceptedEpoch">The leader's acceptedEpoch file.</param>
    /// <param name="currentEpoch">The leader's currentEpoch file.</param>
    /// <param name="lastProcessedZxid">The leader's last applied zxid.</param>
    /// <param name="initLimitTicks">initLimit: how many ticks each wait may last.</param>
    public LeaderEpochCoordinator(long myId, QuorumMaj verifier, long acceptedEpoch, long currentEpoch, long lastProcessedZxid, int initLimitTicks)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(initLimitTicks);
        _myId = myId;
        _verifier = verifier;
        AcceptedEpoch = acceptedEpoch;
        _currentEpoch = currentEpoch;
        _lastZxid = lastProcessedZxid;
        _initLimitTicks = initLimitTicks;
    }

    public LeaderDiscoveryPhase Phase { get; private set; } = LeaderDiscoveryPhase.NotStarted;

    /// <summary>The leader's accepted epoch (becomes <see cref="Epoch"/> once fixed).</summary>
    public long AcceptedEpoch { get; private set; }

    /// <summary>The epoch to propose: max(acceptedEpoch of the leader and joiners so far) + 1; final once fixed.</summary>
    public long Epoch { get; private set; } = -1;

    public ZabFailure? Failure { get; private set; }

    /// <summary>The leader joins its own count, as lead() does with its own acceptedEpoch.</summary>
    public LeaderOutput Start()
    {
        if (Phase != LeaderDiscoveryPhase.NotStarted) throw new InvalidOperationException("already started");
        Phase = LeaderDiscoveryPhase.CollectingEpochs;
        ProposeEpoch(_myId, AcceptedEpoch);
        return Flush();
    }

    /// <summary>Handles one packet from the learner on <paramref name="connection"/>.</summary>
    public LeaderOutput Receive(int connection, QuorumPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        if (Phase is LeaderDiscoveryPhase.NotStarted or LeaderDiscoveryPhase.Failed)
            throw new InvalidOperationException($"no packet is expected in phase {Phase}");
        try
        {
            if (!_learners.TryGetValue(connection, out var learner))
                OnLearnerInfo(connection, packet);
            else if (learner.Stage == LearnerStage.AwaitingAckEpoch)
                OnAckEpoch(connection, learner, packet);
            else if (learner.Stage == LearnerStage.Handed)
                throw new InvalidOperationException($"connection {connection} was handed over to sync");
            else
                Drop(connection, ZabError.UnexpectedPacket, $"type {packet.Type} from sid {learner.Sid} while it should wait");
        }
        catch (QuorumPacketException e)
        {
            Drop(connection, ZabError.MalformedPacket, e.Message);
        }
        return Flush();
    }

    /// <summary>The connection closed; its sid keeps counting, as in Java.</summary>
    public void Disconnected(int connection) => _learners.Remove(connection);

    /// <summary>One tickTime passed: a wait longer than initLimit ticks makes the leader give up.</summary>
    public LeaderOutput Tick()
    {
        if (Phase is LeaderDiscoveryPhase.CollectingEpochs or LeaderDiscoveryPhase.CollectingAcks && ++_ticksWaited >= _initLimitTicks)
        {
            string what = Phase == LeaderDiscoveryPhase.CollectingEpochs ? "epoch from quorum" : "epoch to be acked by quorum";
            Failure = new ZabFailure(ZabError.Timeout, $"timeout while waiting for {what}");
            Phase = LeaderDiscoveryPhase.Failed;
            return new LeaderOutput(Flush().Actions, Failure);
        }
        return LeaderOutput.None;
    }

    /// <summary>The leader's acceptedEpoch is on disk: tell the waiting learners and count the leader's own ack.</summary>
    public LeaderOutput PersistenceDone()
    {
        if (Phase != LeaderDiscoveryPhase.PersistingAcceptedEpoch)
            throw new InvalidOperationException($"nothing is being persisted in phase {Phase}");
        Phase = LeaderDiscoveryPhase.CollectingAcks;
        _ticksWaited = 0;
        foreach (var (connection, learner) in _learners.ToArray())
            if (learner.Stage == LearnerStage.AwaitingEpoch)
                OfferEpoch(connection, learner);
        AckEpoch(_myId, _currentEpoch, _lastZxid, connection: null);
        return Flush();
    }

    private void OnLearnerInfo(int connection, QuorumPacket packet)
    {
        bool observer = packet.Type == (int)QuorumPacketType.ObserverInfo;
        if (!observer && packet.Type != (int)QuorumPacketType.FollowerInfo)
        {
            Drop(connection, ZabError.UnexpectedPacket, $"first packet of type {packet.Type} is not FOLLOWERINFO or OBSERVERINFO");
            return;
        }
        var info = QuorumPackets.ParseLearnerInfo(packet.Data);
        if (info.ConfigVersion is { } configVersion && configVersion > _verifier.Version)
        {
            Drop(connection, ZabError.LearnerConfigAhead, "follower is ahead of the leader (has a later activated configuration)");
            return;
        }
        // No data at all: a learner too old to name itself gets a made-up negative sid; too-short data leaves Java's default 0.
        long sid = packet.Data is null ? _followerCounter-- : info.Sid ?? 0;
        var learner = new Learner(sid, observer, info.ProtocolVersion, packet.Zxid);
        _learners[connection] = learner;

        if (Phase == LeaderDiscoveryPhase.CollectingEpochs)
            ProposeEpoch(sid, Zxids.EpochOf(packet.Zxid));
        if (Phase is LeaderDiscoveryPhase.CollectingAcks or LeaderDiscoveryPhase.Established)
            OfferEpoch(connection, learner);
    }

    // getEpochToPropose while the epoch is still open.
    private void ProposeEpoch(long sid, long lastAcceptedEpoch)
    {
        if (lastAcceptedEpoch >= Epoch) Epoch = lastAcceptedEpoch + 1;
        if (_verifier.IsVoter(sid)) _connecting.Add(sid);
        if (_connecting.Contains(_myId) && _verifier.ContainsQuorum(_connecting))
        {
            AcceptedEpoch = Epoch;
            Phase = LeaderDiscoveryPhase.PersistingAcceptedEpoch;
            _actions.Add(new PersistLeaderAcceptedEpoch(Epoch));
        }
    }

    // The epoch is fixed and durable: LEADERINFO for 1.0 learners; older ones ack implicitly with their zxid.
    private void OfferEpoch(int connection, Learner learner)
    {
        if (learner.ProtocolVersion < QuorumPackets.ProtocolVersion1_0)
        {
            learner.Stage = LearnerStage.AwaitingQuorum;
            AckEpoch(learner.Sid, Zxids.EpochOf(learner.InfoZxid), learner.InfoZxid, connection);
            return;
        }
        learner.Stage = LearnerStage.AwaitingAckEpoch;
        _actions.Add(new SendToLearner(connection, QuorumPackets.LeaderInfo(Epoch)));
    }

    private void OnAckEpoch(int connection, Learner learner, QuorumPacket packet)
    {
        if (packet.Type != (int)QuorumPacketType.AckEpoch)
        {
            Drop(connection, ZabError.UnexpectedPacket, $"type {packet.Type} from sid {learner.Sid} is not ACKEPOCH");
            return;
        }
        int epoch = QuorumPackets.ParseAckEpoch(packet.Data);
        learner.Stage = LearnerStage.AwaitingQuorum;
        AckEpoch(learner.Sid, epoch, packet.Zxid, connection);
    }

    // waitForEpochAck: once established, no more checks — the learner just proceeds to sync.
    private void AckEpoch(long sid, long currentEpoch, long lastZxid, int? connection)
    {
        if (connection is { } c) _learners[c].PeerLastZxid = lastZxid;
        if (Phase == LeaderDiscoveryPhase.Established)
        {
            HandOver(connection!.Value);
            return;
        }
        if (currentEpoch != -1)
        {
            if (currentEpoch > _currentEpoch || (currentEpoch == _currentEpoch && lastZxid > _lastZxid))
            {
                Drop(connection!.Value, ZabError.LearnerAhead,
                    $"follower is ahead of the leader, leader summary: {_currentEpoch} (current epoch), {_lastZxid} (last zxid)");
                return;
            }
            if (lastZxid != -1 && _verifier.IsVoter(sid)) _electing.Add(sid);
        }
        if (_electing.Contains(_myId) && _verifier.ContainsQuorum(_electing))
        {
            Phase = LeaderDiscoveryPhase.Established;
            _actions.Add(new PersistLeaderCurrentEpoch(Epoch));
            foreach (var (waiting, learner) in _learners.ToArray())
                if (learner.Stage == LearnerStage.AwaitingQuorum)
                    HandOver(waiting);
        }
    }

    private void HandOver(int connection)
    {
        var learner = _learners[connection];
        learner.Stage = LearnerStage.Handed;
        _actions.Add(new LearnerReadyToSync(connection, learner.Sid, learner.IsObserver, learner.PeerLastZxid, learner.ProtocolVersion));
    }

    private void Drop(int connection, ZabError error, string message)
    {
        _learners.Remove(connection);
        _actions.Add(new DropLearner(connection, new ZabFailure(error, message)));
    }

    private LeaderOutput Flush()
    {
        if (_actions.Count == 0) return LeaderOutput.None;
        var output = new LeaderOutput(_actions.ToArray(), null);
        _actions.Clear();
        return output;
    }
}
