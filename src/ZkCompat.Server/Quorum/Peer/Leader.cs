using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Config;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Processors;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.Server.Quorum.Zab;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>
/// The leader role (Java's <c>Leader.lead</c> with its LearnerCnxAcceptor and the LearnerHandlers'
/// run loops): discovery through <see cref="LeaderEpochCoordinator"/>, synchronisation planned by
/// <see cref="SyncPlanner"/>, then broadcast: PROPOSAL → ACK from a quorum → COMMIT (INFORM for
/// observers), in zxid order. One lock guards the Zab state; sends never block under it (a learner
/// whose queue is full is dropped). <see cref="LeadAsync"/> returns or throws when leadership ends.
/// </summary>
public sealed partial class Leader
{
    private sealed class Proposal(long zxid, byte[] data, Request request)
    {
        public long Zxid { get; } = zxid;
        public byte[] Data { get; } = data;
        public Request Request { get; } = request;
        public HashSet<long> Acks { get; } = new();
        public List<LearnerHandler>? PendingSyncs { get; set; }

        /// <summary>A membership proposed but not yet active: the commit needs a quorum of it too (Java's qvAcksetPairs).</summary>
        public QuorumMaj? NextVerifier { get; set; }

        /// <summary>Set on the reconfig proposal itself: its commit activates <see cref="NextVerifier"/>.</summary>
        public bool IsReconfig { get; set; }

        public bool HasQuorum(QuorumMaj current) => current.ContainsQuorum(Acks) && (NextVerifier?.ContainsQuorum(Acks) ?? true);
    }

    private readonly QuorumPeerContext _ctx;
    private readonly ILogger _log;
    private readonly object _zab = new();
    private readonly LeaderEpochCoordinator _discovery;
    private readonly Dictionary<int, LearnerHandler> _handlers = new();
    // ServerMetrics' learner_handler_qp_size / _time_ms summary sets, one pair per learner sid.
    private readonly Dictionary<long, (Network.Commands.PercentileSummary Size, Network.Commands.PercentileSummary Time)> _queueStats = new();
    private readonly List<LearnerHandler> _forwarding = new();
    private readonly HashSet<long> _newLeaderAcks = new();
    private readonly Queue<Proposal> _outstanding = new();
    private readonly Dictionary<long, Proposal> _byZxid = new();
    private readonly Queue<Request> _gate = new();
    private readonly Channel<Request> _toFinal = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _proposalSlots;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Proposal? _newest;
    private ZooKeeperServer? _zks;
    private int _nextConnection;
    private int _halfTicks;
    private int _ticksWaitingForNewLeader;
    private long _newLeaderZxid = -1;
    private long _lastCommitted;
    private long _lastProposed;
    private bool _established;
    private long _servingSince;
    private int _lastProposalSize = -1, _minProposalSize = -1, _maxProposalSize = -1;

    public Leader(QuorumPeerContext ctx)
    {
        _ctx = ctx;
        _log = ctx.Loggers.CreateLogger("ZkCompat.Server.Quorum.Leader");
        var (currentEpoch, acceptedEpoch) = ctx.Database.LoadEpochs();
        long last = ctx.Database.Tree.LastProcessedZxid;
        _lastCommitted = _lastProposed = last;
        _discovery = new LeaderEpochCoordinator(ctx.MyId, ctx.Verifier, acceptedEpoch, currentEpoch, last, Math.Max(1, ctx.Options.InitLimit));
        _proposalSlots = new SemaphoreSlim(Math.Max(1, ctx.Options.GlobalOutstandingLimit));
    }

    /// <summary>The server clients talk to, once a quorum acknowledged NEWLEADER.</summary>
    public ZooKeeperServer? Server => _zks;

    /// <summary>Learners synced and serving (for mntr's zk_synced_followers and friends).</summary>
    public (int Followers, int SyncedFollowers, int Observers) LearnerCounts
    {
        get
        {
            lock (_zab)
            {
                int followers = _handlers.Values.Count(h => h.Forwarding && !h.IsObserver);
                int synced = _handlers.Values.Count(h => h.UpToDateSent && !h.IsObserver);
                int observers = _handlers.Values.Count(h => h.Forwarding && h.IsObserver);
                return (followers, synced, observers);
            }
        }
    }

    public long Epoch => _discovery.Epoch;

    public async Task LeadAsync(CancellationToken ct)
    {
        var self = _ctx.Self ?? throw new InvalidOperationException($"server.{_ctx.MyId} is not in the configuration");
        string? host = _ctx.Options.QuorumListenOnAllIPs ? null : self.Host;
        await using var listener = _ctx.Network.Listen(host, self.QuorumPort);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        LogLeading(_ctx.MyId, self.QuorumPort);
        // Discovery first: a FOLLOWERINFO may arrive the moment the port accepts.
        lock (_zab) Perform(_discovery.Start());
        var loops = new List<Task> { AcceptLoopAsync(listener, stop.Token), TickLoopAsync(stop.Token) };
        try
        {
            await _ended.Task.WaitAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await ShutdownAsync(loops).ConfigureAwait(false);
        }
    }

    private void End(string reason, Exception? inner = null)
    {
        if (_ended.TrySetException(new QuorumRoleEndedException(reason, inner))) LogLeadershipEnded(reason);
    }

    private async Task ShutdownAsync(List<Task> loops)
    {
        LearnerHandler[] handlers;
        lock (_zab) handlers = _handlers.Values.ToArray();
        foreach (var h in handlers) h.Connection.Close();
        _toFinal.Writer.TryComplete();
        try
        {
            await Task.WhenAll(loops).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
        foreach (var h in handlers) await h.Connection.DisposeAsync().ConfigureAwait(false);
        _ctx.SetServing(null);
        if (_zks is { } zks) await zks.DisposeAsync().ConfigureAwait(false);
    }

    // ---- connections ----

    private async Task AcceptLoopAsync(IPeerListener listener, CancellationToken ct)
    {
        var readers = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                Stream stream;
                try
                {
                    stream = await listener.AcceptAsync(ct).ConfigureAwait(false);
                }
                catch (IOException e)
                {
                    LogAcceptFailed(e.Message);
                    continue;
                }
                var handler = new LearnerHandler(Interlocked.Increment(ref _nextConnection),
                    new QuorumConnection(stream, new Jute.JuteLimits(_ctx.Options.JuteMaxBuffer, _ctx.Options.JuteMaxBufferExtra), _ctx.Time));
                lock (_zab) _handlers[handler.Id] = handler;
                readers.Add(ReadLoopAsync(handler, ct));
                readers.RemoveAll(t => t.IsCompleted);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
        }
        await Task.WhenAll(readers).ConfigureAwait(false);
    }

    private async Task ReadLoopAsync(LearnerHandler handler, CancellationToken ct)
    {
        await Task.Yield();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var packet = await handler.Connection.ReadAsync(ct).ConfigureAwait(false);
                switch ((QuorumPacketType)packet.Type)
                {
                    case QuorumPacketType.Request when handler.UpToDateSent:
                        await SubmitLearnerRequestAsync(handler, packet, ct).ConfigureAwait(false);
                        break;
                    case QuorumPacketType.Revalidate when handler.Forwarding:
                        Revalidate(handler, packet);
                        break;
                    default:
                        lock (_zab) OnPacket(handler, packet);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or InvalidDataException or Jute.JuteException)
        {
            if (!ct.IsCancellationRequested) LogLearnerGone(handler.ToString(), e.Message);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or KeeperException)
        {
            // A learner that breaks the protocol in a way we did not foresee loses its connection, not our leadership.
            LogLearnerFailed(handler.ToString(), e);
        }
        finally
        {
            handler.Connection.Close();
            lock (_zab) RemoveHandler(handler);
        }
    }

    private void RemoveHandler(LearnerHandler handler)
    {
        if (!_handlers.Remove(handler.Id)) return;
        _forwarding.Remove(handler);
        if (!_established) _discovery.Disconnected(handler.Id);
    }

    private void Drop(LearnerHandler handler, string reason)
    {
        LogDroppingLearner(handler.ToString(), reason);
        RemoveHandler(handler);
        // Not under our lock: closing completes the handler's pending read, whose continuation takes the lock again.
        ThreadPool.UnsafeQueueUserWorkItem(static c => c.Close(), handler.Connection, preferLocal: false);
    }

    private void Send(LearnerHandler handler, QuorumPacket packet)
    {
        if (!handler.TrySend(packet)) Drop(handler, "its send queue is full or closed");
    }

    // ---- discovery and synchronisation (under _zab) ----

    private void OnPacket(LearnerHandler handler, QuorumPacket packet)
    {
        if (!handler.Forwarding)
        {
            if (_discovery.Phase is LeaderDiscoveryPhase.Failed) return;
            Perform(_discovery.Receive(handler.Id, packet));
            return;
        }
        switch ((QuorumPacketType)packet.Type)
        {
            case QuorumPacketType.Ack:
                if (packet.Zxid == _newLeaderZxid)
                {
                    OnNewLeaderAck(handler);
                    return;
                }
                if (!handler.IsObserver) ProcessAck(handler.Sid, packet.Zxid);
                return;
            case QuorumPacketType.Ping:
                if (_zks is { } zks)
                    foreach (var touch in QuorumPackets.ParseSessionTouches(packet.Data))
                        zks.Sessions.TouchSession(touch.SessionId, touch.TimeoutMs);
                return;
            case QuorumPacketType.Request:
                // Before UPTODATE a learner has no clients; Java would queue it, a well-behaved learner never sends one.
                Drop(handler, "REQUEST before UPTODATE");
                return;
            default:
                LogUnexpectedPacket(handler.ToString(), packet.Type);
                return;
        }
    }

    private void Perform(LeaderOutput output)
    {
        foreach (var action in output.Actions)
        {
            switch (action)
            {
                case SendToLearner send when _handlers.TryGetValue(send.Connection, out var h):
                    Send(h, send.Packet);
                    break;
                case DropLearner drop when _handlers.TryGetValue(drop.Connection, out var h):
                    Drop(h, drop.Failure.Message);
                    break;
                case PersistLeaderAcceptedEpoch accepted:
                    _ctx.Database.WriteEpoch(EpochFiles.AcceptedEpoch, accepted.Epoch);
                    _newLeaderZxid = Zxids.Make(accepted.Epoch, 0);
                    // ZOOKEEPER-1783: an established config leaves version 0 behind, at the new epoch's start.
                    if (_ctx.Options.ReconfigEnabled && _ctx.Verifier.Version == 0 && _ctx.LastSeen.Version == 0)
                        _ctx.LastSeen = new QuorumMaj(_ctx.Verifier.AllMembers, _newLeaderZxid);
                    Perform(_discovery.PersistenceDone());
                    break;
                case PersistLeaderCurrentEpoch current:
                    _ctx.Database.WriteEpoch(EpochFiles.CurrentEpoch, current.Epoch);
                    _ctx.UpdateElectionVote(current.Epoch);
                    _established = true;
                    // The leader acknowledges its own NEWLEADER.
                    _newLeaderAcks.Add(_ctx.MyId);
                    LogEpochEstablished(current.Epoch);
                    MaybeStartServing();
                    break;
                case LearnerReadyToSync ready when _handlers.TryGetValue(ready.Connection, out var h):
                    h.Sid = ready.Sid;
                    h.IsObserver = ready.IsObserver;
                    if (!_queueStats.TryGetValue(h.Sid, out var stats))
                    {
                        string sid = h.Sid.ToString(System.Globalization.CultureInfo.InvariantCulture);
                        _queueStats[h.Sid] = stats = (new(sid + "_learner_handler_qp_size", percentiles: false), new(sid + "_learner_handler_qp_time_ms"));
                    }
                    h.Connection.QueueSizeSampled = stats.Size.Add;
                    h.Connection.QueueTimeSampled = stats.Time.Add;
                    SyncLearner(h, ready.PeerLastZxid);
                    break;
            }
        }
        if (output.Failure is { } failure) End(failure.Message);
    }

    // LearnerHandler.syncFollower + Leader.startForwarding, atomically with respect to proposals and commits.
    private void SyncLearner(LearnerHandler h, long peerLastZxid)
    {
        var db = _ctx.Database;
        var committed = db.CommittedLog.Snapshot();
        var plan = SyncPlanner.Plan(peerLastZxid, committed, _lastCommitted, _ctx.Options.ForceSnapshotSync);
        LogSyncing(h.ToString(), plan.Mode, peerLastZxid, _lastCommitted);
        if (plan.Mode == SyncMode.Snap)
        {
            // The tree is at least at snapZxid when the stream is written (fuzzy, as Java's); what was
            // committed but not yet applied follows as PROPOSAL + COMMIT.
            var tree = db.Tree;
            long snapZxid = tree.LastProcessedZxid;
            Send(h, QuorumPackets.Create(QuorumPacketType.Snap, snapZxid));
            var sessions = db.SessionsWithTimeouts;
            if (!h.Connection.TrySendRaw((stream, ct) => SnapStream.WriteAsync(stream, tree, sessions, ct)))
            {
                Drop(h, "could not queue the snapshot");
                return;
            }
            foreach (var p in committed)
            {
                if (p.Zxid <= snapZxid) continue;
                Send(h, QuorumPackets.Create(QuorumPacketType.Proposal, p.Zxid, p.Data));
                Send(h, QuorumPackets.Commit(p.Zxid));
            }
        }
        else
        {
            foreach (var packet in plan.Packets) Send(h, packet);
        }
        if (!h.IsObserver)
            foreach (var p in _outstanding)
                Send(h, QuorumPackets.Create(QuorumPacketType.Proposal, p.Zxid, p.Data));
        h.Forwarding = true;
        _forwarding.Add(h);
        // NEWLEADER carries the last seen config, so learners finish a reconfig the old leader left half done.
        Send(h, QuorumPackets.NewLeader(_newLeaderZxid, _ctx.LastSeen.ToString()));
    }

    private void OnNewLeaderAck(LearnerHandler h)
    {
        if (h.AckedNewLeader) return; // the second ACK, after UPTODATE
        h.AckedNewLeader = true;
        if (_zks is not null)
        {
            SendUpToDate(h);
            return;
        }
        if (!h.IsObserver && _ctx.Verifier.IsVoter(h.Sid)) _newLeaderAcks.Add(h.Sid);
        MaybeStartServing();
    }

    private void SendUpToDate(LearnerHandler h)
    {
        h.UpToDateSent = true;
        Send(h, QuorumPackets.UpToDate());
    }

    private void MaybeStartServing()
    {
        if (_zks is not null || !_established || !_ctx.Verifier.ContainsQuorum(_newLeaderAcks)) return;
        var role = new ServerRole
        {
            State = "leader",
            ServerId = _ctx.MyId,
            ConfExtra = _ctx.ConfText,
            PeerState = "leading - broadcast",
            MonitorValues = MonitorValues,
            StatExtra = () => $"Proposal sizes last/min/max: {ProposalSizes}\n",
            InitialZxid = _newLeaderZxid,
            Chain = (zks, loggers, stopping) => new LeaderRequestChain(this, zks, stopping),
            PrepareReconfig = PrepareReconfig,
        };
        // Java's startZkServer: the tree now stands at the new epoch's start, as learners will after UPTODATE.
        _lastCommitted = _newLeaderZxid;
        _ctx.Database.Tree.LastProcessedZxid = _newLeaderZxid;
        if (_ctx.Options.ReconfigEnabled && _ctx.LastSeen.Version > _ctx.Verifier.Version) _ctx.Activate(_ctx.LastSeen);
        var zks = new ZooKeeperServer(_ctx.Options, _ctx.Database, _ctx.Time, _ctx.Loggers, role);
        _lastProposed = _newLeaderZxid;
        _servingSince = _ctx.Time.GetTimestamp();
        _zks = zks;
        zks.Failure.ContinueWith(t => End("a processor stage failed", t.Exception), TaskContinuationOptions.OnlyOnFaulted);
        zks.Start();
        _ctx.SetServing(zks);
        LogServing(_newLeaderZxid);
        foreach (var h in _handlers.Values.Where(h => h.AckedNewLeader && !h.UpToDateSent).ToArray())
            SendUpToDate(h);
    }

    // ---- broadcast ----

    /// <summary>Java's <c>Leader.propose</c>: registers the proposal and sends it to every forwarding follower.</summary>
    internal async ValueTask ProposeAsync(Request request, CancellationToken ct)
    {
        await _proposalSlots.WaitAsync(ct).ConfigureAwait(false);
        lock (_zab)
        {
            var header = request.Header!;
            if (Zxids.CounterOf(header.Zxid) == 0xFFFFFFFFL)
            {
                End("zxid lower 32 bits have rolled over, forcing re-election, and therefore new epoch start");
                return;
            }
            byte[] data = request.SerializedTxn ??= TxnLogEntry.Marshal(header, request.Txn, request.Digest);
            _lastProposalSize = data.Length;
            _minProposalSize = _minProposalSize < 0 ? data.Length : Math.Min(_minProposalSize, data.Length);
            _maxProposalSize = Math.Max(_maxProposalSize, data.Length);
            var p = new Proposal(header.Zxid, data, request);
            if ((OpCode)header.Type == OpCode.Reconfig && request.Txn is Protocol.Txn.SetDataTxn reconfig)
            {
                _ctx.LastSeen = QuorumConfig.Parse(System.Text.Encoding.UTF8.GetString(reconfig.Data ?? []), header.Zxid);
                p.IsReconfig = true;
            }
            if (_ctx.LastSeen.Version > _ctx.Verifier.Version) p.NextVerifier = _ctx.LastSeen;
            _outstanding.Enqueue(p);
            _byZxid[p.Zxid] = p;
            _newest = p;
            _lastProposed = p.Zxid;
            var packet = QuorumPackets.Create(QuorumPacketType.Proposal, p.Zxid, data);
            foreach (var h in _forwarding.ToArray())
                if (!h.IsObserver) Send(h, packet);
        }
    }

    /// <summary>The leader's own log has the request (or it is a read): it acks, and the request joins the commit gate.</summary>
    internal void OnLogged(Request request)
    {
        lock (_zab)
        {
            _gate.Enqueue(request);
            // Followers may have committed it already (a quorum without our own ACK): drain either way.
            if (request.IsTxn) ProcessAck(_ctx.MyId, request.Header!.Zxid);
            DrainGate();
        }
    }

    private void ProcessAck(long sid, long zxid)
    {
        if (!_byZxid.TryGetValue(zxid, out var p)) return; // already committed, or not ours
        p.Acks.Add(sid);
        // Commit strictly in zxid order: a later proposal with a quorum waits for the earlier ones.
        while (_outstanding.TryPeek(out var head) && head.HasQuorum(_ctx.Verifier))
        {
            _outstanding.Dequeue();
            _byZxid.Remove(head.Zxid);
            if (ReferenceEquals(_newest, head)) _newest = null;
            Commit(head);
        }
        DrainGate();
    }

    private void Commit(Proposal p)
    {
        System.Diagnostics.Debug.Assert(p.Zxid > _lastCommitted, "commits go in zxid order");
        _lastCommitted = p.Zxid;
        p.Request.Committed = true;
        _ctx.Database.CommittedLog.Add(p.Zxid, p.Data);
        if (p.IsReconfig)
        {
            CommitAndActivate(p);
        }
        else
        {
            var commit = QuorumPackets.Commit(p.Zxid);
            QuorumPacket? inform = null;
            foreach (var h in _forwarding.ToArray())
            {
                if (h.IsObserver) Send(h, inform ??= QuorumPackets.Create(QuorumPacketType.Inform, p.Zxid, p.Data));
                else Send(h, commit);
            }
        }
        if (p.PendingSyncs is { } syncs)
            foreach (var h in syncs) Send(h, QuorumPackets.Create(QuorumPacketType.Sync, 0));
        _proposalSlots.Release();
    }

    // Leader.tryToCommit for a reconfig: COMMITANDACTIVATE / INFORMANDACTIVATE naming the designated leader,
    // then the new membership is ours too. A leader left out of the new voters hands over by re-election.
    private void CommitAndActivate(Proposal p)
    {
        var next = p.NextVerifier ?? _ctx.LastSeen;
        long designated = next.IsVoter(_ctx.MyId) ? _ctx.MyId
            : p.Acks.Where(next.IsVoter).DefaultIfEmpty(_ctx.MyId).Min();
        var sidBytes = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(sidBytes, designated);
        var activate = QuorumPackets.Create(QuorumPacketType.CommitAndActivate, p.Zxid, sidBytes);
        QuorumPacket? inform = null;
        foreach (var h in _forwarding.ToArray())
        {
            if (h.IsObserver) Send(h, inform ??= QuorumPackets.Create(QuorumPacketType.InformAndActivate, p.Zxid, [.. sidBytes, .. p.Data]));
            else Send(h, activate);
        }
        LogReconfigCommitted(p.Zxid, designated);
        _ctx.Activate(next);
        if (designated != _ctx.MyId) End($"reconfig 0x{p.Zxid:x} leaves this server out of the voters; server {designated} should lead");
    }

    /// <summary>
    /// Prep's reconfig checks that need the leader (Java's PrepRequestProcessor reconfig case): no reconfig in
    /// flight, the expected config version, a valid new membership with a synced quorum. Returns the new config text.
    /// </summary>
    private string PrepareReconfig(Protocol.Proto.ReconfigRequest request, long zxid)
    {
        lock (_zab)
        {
            var lastSeen = _ctx.LastSeen;
            if (lastSeen.Version != _ctx.Verifier.Version) throw new KeeperException(ErrorCode.ReconfigInProgress);
            if (request.CurConfigId != -1 && request.CurConfigId != lastSeen.Version)
                throw new KeeperException(ErrorCode.BadVersion);
            QuorumMaj next;
            try
            {
                if (request.NewMembers is { } members)
                {
                    next = QuorumConfig.Parse(members, zxid);
                }
                else
                {
                    var servers = lastSeen.AllMembers.ToDictionary(m => m.Id);
                    if (request.LeavingServers is { } leaving)
                        foreach (string sid in leaving.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                            servers.Remove(long.Parse(sid, System.Globalization.CultureInfo.InvariantCulture));
                    if (request.JoiningServers is { } joining)
                    {
                        foreach (string joiner in joining.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        {
                            var one = QuorumConfig.Parse(joiner).AllMembers.Single();
                            if (one.ClientPort is null)
                                throw new KeeperException(ErrorCode.BadArguments);
                            servers[one.Id] = one;
                        }
                    }
                    next = new QuorumMaj(servers.Values, zxid);
                }
            }
            catch (Exception e) when (e is ConfigException or FormatException or OverflowException or InvalidOperationException or ArgumentException)
            {
                throw new KeeperException(ErrorCode.BadArguments);
            }
            int minimum = _ctx.Options.StandaloneEnabled ? 2 : 1;
            if (next.VotingMembers.Count < minimum) throw new KeeperException(ErrorCode.BadArguments);
            var synced = new HashSet<long> { _ctx.MyId };
            foreach (var h in _handlers.Values)
                if (h.UpToDateSent && !h.IsObserver && h.Connection.SinceLastReceived <= _ctx.Ticks(_ctx.Options.SyncLimit)) synced.Add(h.Sid);
            if (!next.ContainsQuorum(synced)) throw new KeeperException(ErrorCode.NewConfigNoQuorum);
            return next.ToString();
        }
    }

    private void DrainGate()
    {
        while (_gate.TryPeek(out var head) && (!head.IsTxn || head.Committed))
        {
            _gate.Dequeue();
            _toFinal.Writer.TryWrite(head);
        }
    }

    /// <summary>Java's <c>processSync</c>: answer once every proposal before it is committed.</summary>
    internal void ProcessSync(LearnerHandler h)
    {
        lock (_zab)
        {
            if (_newest is null) Send(h, QuorumPackets.Create(QuorumPacketType.Sync, 0));
            else (_newest.PendingSyncs ??= new()).Add(h);
        }
    }

    private string ProposalSizes
    {
        get
        {
            lock (_zab) return $"{_lastProposalSize}/{_minProposalSize}/{_maxProposalSize}";
        }
    }

    // LeaderZooKeeperServer.registerMetrics and QuorumZooKeeperServer's quorum_size.
    private IReadOnlyList<KeyValuePair<string, string>> MonitorValues()
    {
        lock (_zab)
        {
            static KeyValuePair<string, string> Kv(string k, long v) => new(k, v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var learners = _handlers.Values.Where(h => h.Forwarding).ToArray();
            int pendingSyncs = _outstanding.Sum(p => p.PendingSyncs?.Count ?? 0);
            var values = new List<KeyValuePair<string, string>>
            {
                Kv("quorum_size", _ctx.Verifier.VotingMembers.Count),
                Kv("learners", learners.Length),
                Kv("synced_followers", learners.Count(h => !h.IsObserver && _ctx.Verifier.IsVoter(h.Sid))),
                Kv("synced_non_voting_followers", learners.Count(h => !h.IsObserver && !_ctx.Verifier.IsVoter(h.Sid))),
                Kv("synced_observers", learners.Count(h => h.IsObserver)),
                Kv("pending_syncs", pendingSyncs),
                Kv("leader_uptime", (long)_ctx.Time.GetElapsedTime(_servingSince).TotalMilliseconds),
                Kv("last_proposal_size", _lastProposalSize),
                Kv("max_proposal_size", _maxProposalSize),
                Kv("min_proposal_size", _minProposalSize),
            };
            foreach (var (size, time) in _queueStats.Values)
            {
                values.AddRange(size.Values());
                values.AddRange(time.Values());
            }
            return values;
        }
    }

    /// <summary>The commit processor's loop: committed writes and reads, in order, to Final.</summary>
    internal async Task RunFinalAsync(ZooKeeperServer zks, CancellationToken ct)
    {
        await foreach (var request in _toFinal.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            zks.Final.ProcessRequest(request);
    }

    private async Task SubmitLearnerRequestAsync(LearnerHandler h, QuorumPacket packet, CancellationToken ct)
    {
        var zks = _zks;
        if (zks is null) return;
        var forwarded = QuorumPackets.ParseRequest(packet);
        var type = (OpCode)forwarded.Type;
        var request = new Request(null, forwarded.SessionId, forwarded.Cxid, type, forwarded.Body, forwarded.AuthInfo ?? [])
        {
            Owner = h,
            LearnerSync = type == OpCode.Sync ? h : null,
            CreateTimestamp = _ctx.Time.GetTimestamp(),
        };
        await zks.SubmitLearnerRequestAsync(request, ct).ConfigureAwait(false);
    }

    // Learner.validateSession's other end: the leader's tracker decides, and the learner becomes the owner.
    private void Revalidate(LearnerHandler h, QuorumPacket packet)
    {
        var touch = QuorumPackets.ParseRevalidateRequest(packet.Data);
        bool valid = false;
        if (_zks is { } zks && zks.Sessions.TouchSession(touch.SessionId, touch.TimeoutMs))
        {
            try
            {
                zks.Sessions.SetOwner(touch.SessionId, h);
                valid = true;
            }
            catch (KeeperException)
            {
            }
        }
        LogRevalidated(touch.SessionId, valid, h.ToString());
        lock (_zab) Send(h, QuorumPackets.RevalidateReply(packet.Zxid, touch.SessionId, valid));
    }

    // ---- time ----

    private async Task TickLoopAsync(CancellationToken ct)
    {
        var half = TimeSpan.FromMilliseconds(Math.Max(1, _ctx.Options.TickTime / 2));
        using var timer = new PeriodicTimer(half, _ctx.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
                lock (_zab) HalfTick();
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void HalfTick()
    {
        bool fullTick = ++_halfTicks % 2 == 0;
        var initLimit = _ctx.Ticks(_ctx.Options.InitLimit);
        var syncLimit = _ctx.Ticks(_ctx.Options.SyncLimit);
        foreach (var h in _handlers.Values.ToArray())
        {
            // The socket timeouts of Java's LearnerHandler: initLimit until synced, syncLimit after.
            var limit = h.UpToDateSent ? syncLimit : initLimit;
            if (h.Connection.SinceLastReceived > limit) Drop(h, $"nothing heard for {limit.TotalMilliseconds} ms");
        }
        if (!_established)
        {
            if (fullTick) Perform(_discovery.Tick());
            return;
        }
        if (_zks is null)
        {
            if (fullTick && ++_ticksWaitingForNewLeader >= _ctx.Options.InitLimit)
                End("Timeout while waiting for NEWLEADER to be acked by quorum");
            return;
        }
        var ping = QuorumPackets.Create(QuorumPacketType.Ping, _lastProposed);
        var synced = new HashSet<long> { _ctx.MyId };
        foreach (var h in _handlers.Values.ToArray())
        {
            if (!h.UpToDateSent) continue;
            Send(h, ping);
            if (!h.IsObserver && h.Connection.SinceLastReceived <= syncLimit) synced.Add(h.Sid);
        }
        if (fullTick && !_ctx.Verifier.ContainsQuorum(synced))
            End($"Not sufficient followers synced, only synced with sids: [ {string.Join(",", synced.Order())} ]");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "LEADING - LEADER ELECTION TOOK - sid {Sid}, quorum port {Port}")]
    private partial void LogLeading(long sid, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committing a reconfiguration 0x{Zxid:x}; designated leader {Designated}")]
    private partial void LogReconfigCommitted(long zxid, long designated);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leadership ended: {Reason}")]
    private partial void LogLeadershipEnded(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Learner accept failed: {Reason}")]
    private partial void LogAcceptFailed(string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Handler} is gone: {Reason}")]
    private partial void LogLearnerGone(string handler, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected exception handling {Handler}")]
    private partial void LogLearnerFailed(string handler, Exception e);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Dropping {Handler}: {Reason}")]
    private partial void LogDroppingLearner(string handler, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected packet type {Type} from {Handler}")]
    private partial void LogUnexpectedPacket(string handler, int type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Epoch 0x{Epoch:x} acknowledged by a quorum")]
    private partial void LogEpochEstablished(long epoch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Synchronizing with {Handler}: {Mode}, peer last zxid 0x{Peer:x}, leader committed 0x{Leader:x}")]
    private partial void LogSyncing(string handler, SyncMode mode, long peer, long leader);

    [LoggerMessage(Level = LogLevel.Information, Message = "Have quorum of supporters; starting up and setting last processed zxid: 0x{Zxid:x}")]
    private partial void LogServing(long zxid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Revalidated session 0x{SessionId:x}: {Valid} (from {Handler})")]
    private partial void LogRevalidated(long sessionId, bool valid, string handler);
}

/// <summary>
/// The leader's chain (Java's LeaderZooKeeperServer): Prep → Proposal (PROPOSAL to followers) → Sync
/// (log, fsync, the leader's own ACK) → commit gate (waits for a quorum, keeps request order) → Final.
/// </summary>
internal sealed class LeaderRequestChain : IRequestChain
{
    private readonly Leader _leader;
    private readonly ZooKeeperServer _zks;
    private readonly PrepRequestProcessor _prep;
    private readonly SyncRequestProcessor _sync;
    private readonly CancellationToken _stopping;

    public LeaderRequestChain(Leader leader, ZooKeeperServer zks, CancellationToken stopping)
    {
        _leader = leader;
        _zks = zks;
        _stopping = stopping;
        int capacity = Math.Max(1, zks.Options.GlobalOutstandingLimit);
        _sync = new SyncRequestProcessor(zks.TxnLog, capacity, leader.OnLogged, zks.MaybeSnapshot);
        _prep = new PrepRequestProcessor(zks, capacity, ProposeAsync, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    private async ValueTask ProposeAsync(Request request)
    {
        if (request.LearnerSync is LearnerHandler handler)
        {
            _leader.ProcessSync(handler);
            _zks.RequestDropped();
            return;
        }
        if (request.IsTxn) await _leader.ProposeAsync(request, _stopping).ConfigureAwait(false);
        await _sync.EnqueueAsync(request, _stopping).ConfigureAwait(false);
    }

    public ValueTask EnqueueAsync(Request request, CancellationToken ct) => _prep.EnqueueAsync(request, ct);

    public void Start(Func<string, Func<Task>, Task> watch, CancellationToken ct)
    {
        watch("PrepRequestProcessor", () => _prep.RunAsync(ct));
        watch("SyncRequestProcessor", () => _sync.RunAsync(ct));
        watch("CommitProcessor", () => _leader.RunFinalAsync(_zks, ct));
    }

    public void Complete() => _prep.Complete();
}
