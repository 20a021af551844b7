namespace ZkCompat.Server.Quorum.Election;

/// <summary>
/// Fast leader election (Java's <c>FastLeaderElection</c> with its <c>WorkerReceiver</c>) as a pure
/// state machine: notifications and ticks go in, notifications to send and at most one
/// <see cref="ElectionResult"/> per round come out. No sockets, threads or clocks: the transport calls
/// <see cref="Step"/> for each message and <see cref="Tick"/> every <see cref="ElectionOptions.TickInterval"/>.
/// Messages to self never leave: they are looped back inside, as QuorumCnxManager does.
/// Not thread-safe; one caller drives it.
/// </summary>
public sealed class FastLeaderElection
{
    private readonly ElectionOptions _options;
    private readonly bool _participant;

    // Votes of the current round (electionEpoch == LogicalClock), and FOLLOWING/LEADING votes of any round.
    private readonly Dictionary<long, Vote> _recvSet = new();
    private readonly Dictionary<long, Vote> _outOfElection = new();

    private readonly List<OutgoingNotification> _outbox = new();
    private readonly Queue<Notification> _loopback = new();
    private ElectionResult? _result;

    private long _nowMs;
    private long _lastHeardMs;
    private long _notificationTimeoutMs;
    private long? _finalizeDeadlineMs;
    private bool _started;

    private long _lastLoggedZxid;
    private long _currentEpoch;
    private long _proposedLeader = -1;
    private long _proposedZxid = -1;
    private long _proposedEpoch;

    /// <param name="myId">This server's sid.</param>
    /// <param name="quorumVerifier">The configuration the election counts votes against.</param>
    /// <param name="participant">False for an observer: it never proposes itself and ends OBSERVING.</param>
    public FastLeaderElection(long myId, QuorumMaj quorumVerifier, bool participant = true, ElectionOptions? options = null)
    {
        MyId = myId;
        QuorumVerifier = quorumVerifier;
        _participant = participant;
        _options = options ?? ElectionOptions.Default;
        if (_options.TickInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), "TickInterval must be positive");
    }

    public long MyId { get; }

    public QuorumMaj QuorumVerifier { get; }

    /// <summary>LOOKING while electing, then the role taken (until the next <see cref="Start"/>).</summary>
    public ServerState State { get; private set; } = ServerState.Looking;

    /// <summary>The election round (Java's <c>logicalclock</c>).</summary>
    public long LogicalClock { get; private set; }

    /// <summary>What this server currently proposes, stamped with the current round.</summary>
    public Vote Proposal => new(_proposedLeader, _proposedZxid, LogicalClock, _proposedEpoch);

    /// <summary>The vote this server stands by outside an election (QuorumPeer's current vote); told to LOOKING peers.</summary>
    public Vote CurrentVote { get; private set; }

    /// <summary>True between a quorum agreeing and finalizeWait passing without a better vote.</summary>
    public bool IsFinalizing => _finalizeDeadlineMs.HasValue;

    /// <summary>The current resend interval (doubles on each silent period, capped).</summary>
    public TimeSpan NotificationTimeout => TimeSpan.FromMilliseconds(_notificationTimeoutMs);

    /// <summary>
    /// Begins a new round (Java's <c>lookForLeader</c> entry): bump the round, vote for ourselves and
    /// tell every voter. Call again whenever the server goes back to LOOKING.
    /// </summary>
    public ElectionOutput Start(long lastLoggedZxid, long currentEpoch)
    {
        _lastLoggedZxid = lastLoggedZxid;
        _currentEpoch = currentEpoch;
        // QuorumPeer.startLeaderElection: the vote non-voters hear until the first round ends.
        if (!_started) CurrentVote = new Vote(MyId, lastLoggedZxid, -1, currentEpoch);
        _started = true;
        State = ServerState.Looking;
        _recvSet.Clear();
        _outOfElection.Clear();
        _loopback.Clear();
        _finalizeDeadlineMs = null;
        _notificationTimeoutMs = Ms(_options.MinNotificationInterval);
        _lastHeardMs = _nowMs;

        LogicalClock++;
        UpdateProposal(InitId, InitLastLoggedZxid, InitPeerEpoch);
        SendNotifications();
        return Flush();
    }

    /// <summary>Handles one notification received from <paramref name="fromSid"/>.</summary>
    public ElectionOutput Step(long fromSid, Notification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        if (!_started) throw new InvalidOperationException("Start the election before stepping it");
        Receive(fromSid, n);
        return Flush();
    }

    /// <summary>Advances time by one tick: resends after a silent period, ends finalizeWait.</summary>
    public ElectionOutput Tick()
    {
        if (!_started) throw new InvalidOperationException("Start the election before ticking it");
        _nowMs += Ms(_options.TickInterval);
        if (State == ServerState.Looking)
        {
            if (_finalizeDeadlineMs is { } deadline)
            {
                if (_nowMs >= deadline)
                    Finish(_proposedLeader, Proposal with { State = ServerState.Looking }, LogicalClock);
            }
            else if (_nowMs - _lastHeardMs >= _notificationTimeoutMs)
            {
                // Nothing arrived for a while: say it again, and wait longer next time.
                SendNotifications();
                _notificationTimeoutMs = Math.Min(_notificationTimeoutMs * 2, Ms(_options.MaxNotificationInterval));
                _lastHeardMs = _nowMs;
            }
        }
        return Flush();
    }

    /// <summary>
    /// Java's <c>QuorumPeer.updateElectionVote</c>: once the new leader's epoch is fixed, the vote told
    /// to LOOKING peers carries it, so late joiners' epochs match.
    /// </summary>
    public void UpdateElectionVote(long newEpoch) => CurrentVote = CurrentVote with { PeerEpoch = newEpoch };

    // The WorkerReceiver part: answers that do not depend on the election loop.
    private void Receive(long fromSid, Notification n)
    {
        if (!QuorumVerifier.IsVoter(fromSid))
        {
            // Observers (and non-voting followers) get our current vote straight back.
            Send(fromSid, CurrentVote.Id, CurrentVote.Zxid, LogicalClock, State, CurrentVote.PeerEpoch);
            return;
        }

        if (State == ServerState.Looking)
        {
            // A LOOKING peer in an older round learns the current round and our proposal.
            if (n.State == ServerState.Looking && n.ElectionEpoch < LogicalClock)
                Send(fromSid, _proposedLeader, _proposedZxid, LogicalClock, ServerState.Looking, _proposedEpoch);
            Process(fromSid, n);
        }
        else if (n.State == ServerState.Looking)
        {
            // We are out of election: tell the LOOKING peer whom we follow or that we lead.
            Send(fromSid, CurrentVote.Id, CurrentVote.Zxid, CurrentVote.ElectionEpoch, State, CurrentVote.PeerEpoch);
        }
    }

    // The lookForLeader loop body for one notification taken off the queue.
    private void Process(long fromSid, Notification n)
    {
        _lastHeardMs = _nowMs;

        if (_finalizeDeadlineMs.HasValue)
        {
            // Waiting for a better vote: anything not better is dropped and the wait starts over.
            if (!Better(n.Leader, n.Zxid, n.PeerEpoch, _proposedLeader, _proposedZxid, _proposedEpoch))
            {
                _finalizeDeadlineMs = _nowMs + Ms(_options.FinalizeWait);
                return;
            }
            _finalizeDeadlineMs = null;
        }

        if (!QuorumVerifier.IsVoter(fromSid) || !QuorumVerifier.IsVoter(n.Leader))
            return;

        switch (n.State)
        {
            case ServerState.Looking:
                ReceivedLookingNotification(fromSid, n);
                break;
            case ServerState.Following:
            case ServerState.Leading:
                // Without an oracle (QuorumOracleMaj is not supported) LEADING is handled like FOLLOWING.
                ReceivedFollowingNotification(fromSid, n);
                break;
            case ServerState.Observing:
                break;
        }
    }

    private void ReceivedLookingNotification(long fromSid, Notification n)
    {
        // Servers that cannot read their own log, and votes for such servers, take no part.
        if (InitLastLoggedZxid == -1 || n.Zxid == -1)
            return;

        if (n.ElectionEpoch > LogicalClock)
        {
            // A newer round: join it, forgetting the old round's votes, and vote afresh.
            LogicalClock = n.ElectionEpoch;
            _recvSet.Clear();
            if (Better(n.Leader, n.Zxid, n.PeerEpoch, InitId, InitLastLoggedZxid, InitPeerEpoch))
                UpdateProposal(n.Leader, n.Zxid, n.PeerEpoch);
            else
                UpdateProposal(InitId, InitLastLoggedZxid, InitPeerEpoch);
            SendNotifications();
        }
        else if (n.ElectionEpoch < LogicalClock)
        {
            return;
        }
        else if (Better(n.Leader, n.Zxid, n.PeerEpoch, _proposedLeader, _proposedZxid, _proposedEpoch))
        {
            UpdateProposal(n.Leader, n.Zxid, n.PeerEpoch);
            SendNotifications();
        }

        _recvSet[fromSid] = new Vote(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch);
        if (HasQuorumFor(_recvSet, Proposal))
            _finalizeDeadlineMs = _nowMs + Ms(_options.FinalizeWait);
    }

    private void ReceivedFollowingNotification(long fromSid, Notification n)
    {
        var claimed = new Vote(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch, n.State, n.Version);

        // Same round: the peer finished this very election before us.
        if (n.ElectionEpoch == LogicalClock)
        {
            _recvSet[fromSid] = new Vote(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch, n.State);
            if (HasQuorumFor(_recvSet, claimed) && CheckLeader(_recvSet, n.Leader, n.ElectionEpoch))
            {
                Finish(n.Leader, new Vote(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch), LogicalClock);
                return;
            }
        }

        // Joining an established ensemble: a quorum must follow the same leader, and it must say it leads.
        // This map keeps current-round votes too (ZOOKEEPER-1732).
        _outOfElection[fromSid] = claimed;
        if (HasQuorumFor(_outOfElection, claimed) && CheckLeader(_outOfElection, n.Leader, n.ElectionEpoch))
        {
            LogicalClock = n.ElectionEpoch;
            Finish(n.Leader, new Vote(n.Leader, n.Zxid, n.ElectionEpoch, n.PeerEpoch), n.ElectionEpoch);
        }
    }

    // A leader other than us must have told us itself that it leads; if it is us, the round must match,
    // so a crashed leader is not re-elected by its stale followers.
    private bool CheckLeader(Dictionary<long, Vote> votes, long leader, long electionEpoch)
    {
        if (leader != MyId)
            return votes.TryGetValue(leader, out var v) && v.State == ServerState.Leading;
        return LogicalClock == electionEpoch;
    }

    private bool HasQuorumFor(Dictionary<long, Vote> votes, Vote vote) =>
        QuorumVerifier.ContainsQuorum(votes.Where(kv => vote.AgreesWith(kv.Value)).Select(kv => kv.Key));

    private void Finish(long leader, Vote endVote, long electionEpoch)
    {
        State = leader == MyId ? ServerState.Leading : LearningState;
        _finalizeDeadlineMs = null;
        _loopback.Clear();
        CurrentVote = endVote;
        _result = new ElectionResult(State, leader, electionEpoch, endVote);
    }

    private bool Better(long newId, long newZxid, long newEpoch, long curId, long curZxid, long curEpoch) =>
        QuorumVerifier.GetWeight(newId) != 0 && Vote.IsBetter(newId, newZxid, newEpoch, curId, curZxid, curEpoch);

    private void UpdateProposal(long leader, long zxid, long epoch)
    {
        _proposedLeader = leader;
        _proposedZxid = zxid;
        _proposedEpoch = epoch;
    }

    private void SendNotifications()
    {
        foreach (var sid in QuorumVerifier.VotingMembers.Order())
            Send(sid, _proposedLeader, _proposedZxid, LogicalClock, ServerState.Looking, _proposedEpoch);
    }

    private void Send(long toSid, long leader, long zxid, long electionEpoch, ServerState state, long peerEpoch)
    {
        var message = new Notification(state, leader, zxid, electionEpoch, peerEpoch, Notification.CurrentVersion, QuorumVerifier.ToString());
        if (toSid == MyId) _loopback.Enqueue(message);
        else _outbox.Add(new OutgoingNotification(toSid, message));
    }

    // Delivers our own notifications to ourselves, then hands out what accumulated.
    private ElectionOutput Flush()
    {
        while (_loopback.TryDequeue(out var own))
            Receive(MyId, own);
        if (_outbox.Count == 0 && _result is null) return ElectionOutput.None;
        var output = new ElectionOutput(_outbox.ToArray(), _result);
        _outbox.Clear();
        _result = null;
        return output;
    }

    private ServerState LearningState => _participant ? ServerState.Following : ServerState.Observing;

    private long InitId => QuorumVerifier.IsVoter(MyId) ? MyId : long.MinValue;

    private long InitLastLoggedZxid => _participant ? _lastLoggedZxid : long.MinValue;

    private long InitPeerEpoch => _participant ? _currentEpoch : long.MinValue;

    private static long Ms(TimeSpan span) => (long)span.TotalMilliseconds;
}
