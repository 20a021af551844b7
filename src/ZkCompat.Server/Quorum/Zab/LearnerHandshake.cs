using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Zab;

public enum LearnerPhase
{
    NotStarted,
    /// <summary>FOLLOWERINFO/OBSERVERINFO sent; waiting for LEADERINFO.</summary>
    AwaitingLeaderInfo,
    /// <summary>Waiting for the driver to persist acceptedEpoch before ACKEPOCH goes out.</summary>
    PersistingAcceptedEpoch,
    /// <summary>ACKEPOCH sent; waiting for DIFF, TRUNC or SNAP.</summary>
    AwaitingSyncMode,
    /// <summary>Receiving missing history until NEWLEADER.</summary>
    Syncing,
    /// <summary>Waiting for the driver to make NEWLEADER's work durable before its ACK goes out.</summary>
    PersistingNewLeader,
    /// <summary>NEWLEADER acknowledged; waiting for UPTODATE.</summary>
    AwaitingUpToDate,
    /// <summary>UPTODATE acknowledged: the broadcast phase takes over.</summary>
    Synced,
    Failed,
}

/// <summary>
/// The follower/observer side of Zab discovery and synchronisation (Java's Learner.registerWithLeader and
/// syncWithLeader) as a pure state machine: packets go in through <see cref="Step"/>, packets to send and
/// disk work come out as <see cref="LearnerAction"/>s to perform in order. Where Java must be durable
/// before answering (acceptedEpoch before ACKEPOCH, NEWLEADER's snapshot/log/currentEpoch before its ACK),
/// the machine stops and sends only after <see cref="PersistenceDone"/>. Not thread-safe.
/// Differences from 3.8.0, on purpose: NEWLEADER's queued proposals are fsynced before its ACK and acked
/// only after UPTODATE (3.8.5+, ZOOKEEPER-4785); pre-Zab-1.0 leaders and reconfig packets during sync are
/// refused as <see cref="ZabError.Unsupported"/>.
/// </summary>
public sealed class LearnerHandshake
{
    private readonly long _myId;
    private readonly bool _observer;
    private readonly long _currentEpoch;
    private readonly long _lastLoggedZxid;
    private readonly long _configVersion;

    // Java's packetsNotCommitted / packetsCommitted.
    private readonly List<PendingTxn> _notCommitted = new();
    private readonly List<long> _committed = new();
    private readonly List<long> _loggedAtNewLeader = new();
    private bool _snapshotNeeded;
    private bool _syncSnapshot;
    private bool _writeToTxnLog;

    /// <param name="myId">This server's sid.</param>
    /// <param name="observer">Sends OBSERVERINFO; never logs or acks during sync.</param>
    /// <param name="acceptedEpoch">The acceptedEpoch file.</param>
    /// <param name="currentEpoch">The currentEpoch file.</param>
    /// <param name="lastLoggedZxid">The last zxid in this server's txn log (or snapshot).</param>
    /// <param name="configVersion">The version of this server's active quorum config.</param>
    public LearnerHandshake(long myId, bool observer, long acceptedEpoch, long currentEpoch, long lastLoggedZxid, long configVersion)
    {
        _myId = myId;
        _observer = observer;
        AcceptedEpoch = acceptedEpoch;
        _currentEpoch = currentEpoch;
        _lastLoggedZxid = lastLoggedZxid;
        _configVersion = configVersion;
    }

    public LearnerPhase Phase { get; private set; } = LearnerPhase.NotStarted;

    /// <summary>The accepted epoch, raised when LEADERINFO proposes a newer one.</summary>
    public long AcceptedEpoch { get; private set; }

    /// <summary>The epoch LEADERINFO named (valid from then on).</summary>
    public long NewEpoch { get; private set; }

    /// <summary>The protocol version LEADERINFO announced.</summary>
    public int LeaderProtocolVersion { get; private set; }

    /// <summary>How the leader chose to sync us, once known.</summary>
    public SyncMode? Mode { get; private set; }

    public ZabFailure? Failure { get; private set; }

    private long NewLeaderZxid => Zxids.Make(NewEpoch, 0);

    /// <summary>Introduces this learner: FOLLOWERINFO or OBSERVERINFO with zxid = acceptedEpoch &lt;&lt; 32.</summary>
    public LearnerOutput Start()
    {
        Expect(LearnerPhase.NotStarted, nameof(Start));
        Phase = LearnerPhase.AwaitingLeaderInfo;
        return Out(new SendToLeader(QuorumPackets.LearnerInfoPacket(_observer, _myId, AcceptedEpoch, _configVersion)));
    }

    /// <summary>Handles one packet from the leader.</summary>
    public LearnerOutput Step(QuorumPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        try
        {
            return Phase switch
            {
                LearnerPhase.AwaitingLeaderInfo => OnFirstReply(packet),
                LearnerPhase.AwaitingSyncMode => OnSyncMode(packet),
                LearnerPhase.Syncing or LearnerPhase.AwaitingUpToDate => OnSyncPacket(packet),
                _ => throw new InvalidOperationException($"no packet is expected in phase {Phase}"),
            };
        }
        catch (QuorumPacketException e)
        {
            return Fail(ZabError.MalformedPacket, e.Message);
        }
    }

    /// <summary>The driver finished every durable action of the last output; sends the ACK that waited for it.</summary>
    public LearnerOutput PersistenceDone()
    {
        switch (Phase)
        {
            case LearnerPhase.PersistingAcceptedEpoch:
                Phase = LearnerPhase.AwaitingSyncMode;
                return Out(AckEpoch((int)_currentEpoch));
            case LearnerPhase.PersistingNewLeader:
                Phase = LearnerPhase.AwaitingUpToDate;
                return Out(new SendToLeader(QuorumPackets.Ack(NewLeaderZxid)));
            default:
                throw new InvalidOperationException($"nothing is being persisted in phase {Phase}");
        }
    }

    private LearnerOutput OnFirstReply(QuorumPacket packet)
    {
        if (packet.Type == (int)QuorumPacketType.NewLeader)
            return Fail(ZabError.Unsupported, "the leader speaks pre-1.0 Zab (NEWLEADER without LEADERINFO)");
        if (packet.Type != (int)QuorumPacketType.LeaderInfo)
            return Fail(ZabError.UnexpectedPacket, $"first packet should have been LEADERINFO, got type {packet.Type}");

        LeaderProtocolVersion = QuorumPackets.ParseLeaderInfo(packet.Data);
        NewEpoch = Zxids.EpochOf(packet.Zxid);
        if (NewEpoch > AcceptedEpoch)
        {
            // A promise: it must be on disk before the leader hears it.
            AcceptedEpoch = NewEpoch;
            Phase = LearnerPhase.PersistingAcceptedEpoch;
            return Out(new PersistAcceptedEpoch(NewEpoch));
        }
        if (NewEpoch == AcceptedEpoch)
        {
            // Already promised this epoch: -1 tells the leader not to count it again, but sync us anyway.
            Phase = LearnerPhase.AwaitingSyncMode;
            return Out(AckEpoch(-1));
        }
        return Fail(ZabError.LeaderEpochBehind, $"leader's epoch {NewEpoch} is less than accepted epoch {AcceptedEpoch}");
    }

    private LearnerOutput OnSyncMode(QuorumPacket packet)
    {
        LearnerAction? action;
        switch ((QuorumPacketType)packet.Type)
        {
            case QuorumPacketType.Diff:
                Mode = SyncMode.Diff;
                _snapshotNeeded = false;
                action = null;
                break;
            case QuorumPacketType.Snap:
                Mode = SyncMode.Snap;
                _snapshotNeeded = true;
                _syncSnapshot = true;
                action = new LoadSnapshotStream(packet.Zxid);
                break;
            case QuorumPacketType.Trunc:
                Mode = SyncMode.Trunc;
                _snapshotNeeded = true;
                action = new TruncateLog(packet.Zxid);
                break;
            default:
                return Fail(ZabError.UnexpectedPacket, $"expected DIFF, TRUNC or SNAP, got type {packet.Type}");
        }
        // Until NEWLEADER, a DIFF learner keeps proposals for its log; SNAP/TRUNC ones apply them in memory.
        _writeToTxnLog = !_snapshotNeeded;
        Phase = LearnerPhase.Syncing;
        return action is null ? LearnerOutput.None : Out(action);
    }

    private LearnerOutput OnSyncPacket(QuorumPacket packet)
    {
        switch ((QuorumPacketType)packet.Type)
        {
            case QuorumPacketType.Proposal:
                _notCommitted.Add(Txn(packet, "PROPOSAL"));
                return LearnerOutput.None;

            case QuorumPacketType.Commit:
                if (_writeToTxnLog)
                {
                    _committed.Add(packet.Zxid);
                    return LearnerOutput.None;
                }
                if (_notCommitted.Count == 0)
                    return Fail(ZabError.UnexpectedPacket, $"COMMIT 0x{packet.Zxid:x} with no proposal pending");
                // Java only warns when the commit is not for the oldest pending proposal.
                if (_notCommitted[0].Zxid != packet.Zxid) return LearnerOutput.None;
                var head = _notCommitted[0];
                _notCommitted.RemoveAt(0);
                return Out(new ApplyTxn(head));

            case QuorumPacketType.Inform:
                var informed = Txn(packet, "INFORM");
                if (!_writeToTxnLog) return Out(new ApplyTxn(informed));
                _notCommitted.Add(informed);
                _committed.Add(packet.Zxid);
                return LearnerOutput.None;

            case QuorumPacketType.CommitAndActivate:
            case QuorumPacketType.InformAndActivate:
                return Fail(ZabError.Unsupported, "reconfig during sync is not supported yet");

            case QuorumPacketType.NewLeader:
                if (Phase != LearnerPhase.Syncing)
                    return Fail(ZabError.UnexpectedPacket, "a second NEWLEADER");
                return OnNewLeader(packet);

            case QuorumPacketType.UpToDate:
                if (Phase != LearnerPhase.AwaitingUpToDate)
                    return Fail(ZabError.Unsupported, "UPTODATE before NEWLEADER (pre-1.0 leader)");
                Phase = LearnerPhase.Synced;
                return Out(
                    new SendToLeader(QuorumPackets.Ack(NewLeaderZxid)),
                    new StartServing(_loggedAtNewLeader.ToArray(), _notCommitted.ToArray(), _committed.ToArray()));

            default:
                // syncWithLeader's switch ignores anything else (e.g. PING).
                return LearnerOutput.None;
        }
    }

    private LearnerOutput OnNewLeader(QuorumPacket packet)
    {
        var actions = new List<LearnerAction>();
        if (packet.Data is { Length: > 1 } config)
            actions.Add(new RecordLastSeenConfig(System.Text.Encoding.UTF8.GetString(config)));
        if (_snapshotNeeded)
            actions.Add(new TakeSnapshot(_syncSnapshot));
        if (!_observer && _notCommitted.Count > 0)
        {
            actions.Add(new LogTxns(_notCommitted.ToArray()));
            _loggedAtNewLeader.AddRange(_notCommitted.Select(t => t.Zxid));
            _notCommitted.Clear();
        }
        // After the log, so a crash in between never claims an epoch whose history is missing.
        actions.Add(new PersistCurrentEpoch(NewEpoch));
        _writeToTxnLog = true;
        Phase = LearnerPhase.PersistingNewLeader;
        return new LearnerOutput(actions, null);
    }

    private static PendingTxn Txn(QuorumPacket packet, string what) =>
        packet.Data is { } data
            ? new PendingTxn(packet.Zxid, data)
            : throw new QuorumPacketException(QuorumPacketError.Malformed, $"{what} 0x{packet.Zxid:x} has no data");

    private SendToLeader AckEpoch(int epoch) => new(QuorumPackets.AckEpoch(_lastLoggedZxid, epoch));

    private LearnerOutput Fail(ZabError error, string message)
    {
        Failure = new ZabFailure(error, message);
        Phase = LearnerPhase.Failed;
        return new LearnerOutput([], Failure);
    }

    private void Expect(LearnerPhase phase, string call)
    {
        if (Phase != phase) throw new InvalidOperationException($"{call} is only valid in phase {phase}, not {Phase}");
    }

    private static LearnerOutput Out(params LearnerAction[] actions) => new(actions, null);
}
