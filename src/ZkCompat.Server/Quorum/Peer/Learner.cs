using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Config;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Processors;
using ZkCompat.Server.Quorum.Transport;
using ZkCompat.Server.Quorum.Zab;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>
/// The follower and observer roles (Java's <c>Follower.followLeader</c> / <c>Observer.observeLeader</c>
/// with <c>Learner</c>): connect to the leader's quorum port, run <see cref="LearnerHandshake"/> doing its
/// durable steps, then serve clients while logging and acking PROPOSALs and applying COMMITs (or INFORMs).
/// <see cref="RunAsync"/> ends (throws) when the leader is gone; the peer then looks for a new one.
/// </summary>
public sealed partial class Learner
{
    private readonly QuorumPeerContext _ctx;
    private readonly bool _observer;
    private readonly ILogger _log;
    private readonly Dictionary<long, Request> _pending = new();
    private readonly object _pendingLock = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, int> _touched = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource<bool?>> _revalidations = new();
    private QuorumConnection? _connection;
    private ZooKeeperServer? _zks;
    private LearnerRequestChain? _chain;
    private long _leaderSid;

    public Learner(QuorumPeerContext ctx, bool observer)
    {
        _ctx = ctx;
        _observer = observer;
        _log = ctx.Loggers.CreateLogger(observer ? "ZkCompat.Server.Quorum.Observer" : "ZkCompat.Server.Quorum.Follower");
    }

    private JuteLimits Limits => new(_ctx.Options.JuteMaxBuffer, _ctx.Options.JuteMaxBufferExtra);

    public async Task RunAsync(QuorumServerSpec leader, CancellationToken ct)
    {
        LogConnecting(_observer ? "OBSERVING" : "FOLLOWING", leader.Id, leader.Host, leader.QuorumPort);
        _leaderSid = leader.Id;
        var stream = await ConnectAsync(leader, ct).ConfigureAwait(false);
        await using var connection = new QuorumConnection(stream, Limits, _ctx.Time);
        _connection = connection;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watchdog = WatchdogAsync(connection, stop.Token);
        try
        {
            await SyncWithLeaderAsync(connection, stop.Token).ConfigureAwait(false);
            await BroadcastLoopAsync(connection, stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or JuteException or InvalidDataException or KeeperException
                                   || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            throw new QuorumRoleEndedException($"lost the leader (sid {leader.Id}): {e.Message}", e);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            connection.Close();
            await watchdog.ConfigureAwait(false);
            foreach (var pending in _revalidations.Values) pending.TrySetResult(null);
            _ctx.SetServing(null);
            if (_zks is { } zks) await zks.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Java's connectToLeader: a few tries, a second apart, within initLimit.
    private async Task<Stream> ConnectAsync(QuorumServerSpec leader, CancellationToken ct)
    {
        var limit = _ctx.Ticks(_ctx.Options.InitLimit);
        long started = _ctx.Time.GetTimestamp();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await _ctx.Network.ConnectAsync(leader.Host, leader.QuorumPort, limit, ct).ConfigureAwait(false);
            }
            catch (IOException e) when (attempt < 5 && _ctx.Time.GetElapsedTime(started) < limit)
            {
                LogConnectRetry(attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, _ctx.Options.TickTime)), _ctx.Time, ct).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                throw new QuorumRoleEndedException($"cannot connect to the leader: {e.Message}", e);
            }
        }
    }

    // The socket timeouts of Java's learner: initLimit while syncing, syncLimit once serving.
    private async Task WatchdogAsync(QuorumConnection connection, CancellationToken ct)
    {
        var half = TimeSpan.FromMilliseconds(Math.Max(1, _ctx.Options.TickTime / 2));
        using var timer = new PeriodicTimer(half, _ctx.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var limit = _ctx.Ticks(_zks is null ? _ctx.Options.InitLimit : _ctx.Options.SyncLimit);
                if (connection.SinceLastReceived > limit)
                {
                    LogLeaderSilent(limit.TotalMilliseconds);
                    connection.Close();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---- discovery and synchronisation ----

    private async Task SyncWithLeaderAsync(QuorumConnection connection, CancellationToken ct)
    {
        var db = _ctx.Database;
        var (currentEpoch, acceptedEpoch) = db.LoadEpochs();
        var handshake = new LearnerHandshake(_ctx.MyId, _observer, acceptedEpoch, currentEpoch, db.Tree.LastProcessedZxid, _ctx.Verifier.Version);
        var output = handshake.Start();
        while (true)
        {
            bool serving = await PerformAsync(connection, handshake, output, ct).ConfigureAwait(false);
            if (serving) return;
            output = handshake.Step(await connection.ReadAsync(ct).ConfigureAwait(false));
        }
    }

    /// <summary>Does what the handshake asked, in order; true once serving.</summary>
    private async Task<bool> PerformAsync(QuorumConnection connection, LearnerHandshake handshake, LearnerOutput output, CancellationToken ct)
    {
        var db = _ctx.Database;
        while (true)
        {
            bool serving = false;
            foreach (var action in output.Actions)
            {
                switch (action)
                {
                    case SendToLeader send:
                        await connection.SendAsync(send.Packet, ct).ConfigureAwait(false);
                        break;
                    case PersistAcceptedEpoch accepted:
                        db.WriteEpoch(EpochFiles.AcceptedEpoch, accepted.Epoch);
                        break;
                    case PersistCurrentEpoch current:
                        db.WriteEpoch(EpochFiles.CurrentEpoch, current.Epoch);
                        _ctx.UpdateElectionVote(current.Epoch);
                        break;
                    case TruncateLog truncate:
                        LogTruncating(truncate.Zxid);
                        if (!db.TruncateLog(truncate.Zxid))
                            throw new QuorumRoleEndedException($"cannot truncate the txn log to 0x{truncate.Zxid:x}");
                        InitConfigNode();
                        break;
                    case LoadSnapshotStream snap:
                        LogLoadingSnapshot(snap.Zxid);
                        var content = await SnapStream.ReadAsync(connection.Reader, Limits, _ctx.Options.ExtendedTypesEnabled, ct).ConfigureAwait(false);
                        db.ReplaceWith(content, snap.Zxid);
                        // Reconfig is off: our own config, not the leader's, describes the ensemble here.
                        InitConfigNode();
                        break;
                    case ApplyTxn apply:
                        ApplyDuringSync(apply.Txn);
                        break;
                    case RecordLastSeenConfig seen:
                        // Java's setLastSeenQuorumVerifier: only remembered when reconfig is on.
                        if (_ctx.Options.ReconfigEnabled)
                        {
                            var qv = QuorumConfig.Parse(seen.ConfigText);
                            if (qv.Version > _ctx.LastSeen.Version) _ctx.LastSeen = qv;
                        }
                        break;
                    case TakeSnapshot snapshot:
                        await db.TakeSnapshotAsync(null, ct).ConfigureAwait(false);
                        _ = snapshot;
                        break;
                    case LogTxns log:
                        foreach (var txn in log.Txns)
                        {
                            var request = ParseTxn(txn.Zxid, txn.Data);
                            db.TxnLog.Append(request.Header!, request.Txn, request.Digest);
                            lock (_pendingLock) _pending[txn.Zxid] = request;
                        }
                        db.TxnLog.Commit();
                        break;
                    case StartServing start:
                        await StartServingAsync(connection, start, ct).ConfigureAwait(false);
                        serving = true;
                        break;
                }
            }
            if (output.Failure is { } failure)
                throw new QuorumRoleEndedException($"synchronisation with the leader failed: {failure.Message}");
            if (serving) return true;
            if (handshake.Phase is LearnerPhase.PersistingAcceptedEpoch or LearnerPhase.PersistingNewLeader)
            {
                output = handshake.PersistenceDone();
                continue;
            }
            return false;
        }
    }

    private void InitConfigNode() =>
        _ctx.Database.Tree.InitConfigNode(_ctx.Verifier.ToString(), _ctx.Verifier.Version, _ctx.Time.GetUtcNow().ToUnixTimeMilliseconds());

    private void ApplyDuringSync(PendingTxn txn)
    {
        var request = ParseTxn(txn.Zxid, txn.Data);
        var db = _ctx.Database;
        db.Tree.ProcessTxn(request.Header!, request.Txn, request.Digest);
        switch (request.Txn)
        {
            case CreateSessionTxn create:
                db.SessionsWithTimeouts[request.Header!.ClientId] = create.TimeOut;
                break;
            case CloseSessionTxn:
                db.SessionsWithTimeouts.TryRemove(request.Header!.ClientId, out _);
                break;
        }
        db.CommittedLog.Add(txn.Zxid, txn.Data);
    }

    private Request ParseTxn(long zxid, byte[] data)
    {
        var entry = TxnLogEntry.Unmarshal(data, new TxnLogEntry.ReadOptions(_ctx.Options.CloseSessionTxnEnabled, true, Limits));
        if (entry.Header.Zxid != zxid)
            throw new InvalidDataException($"proposal 0x{zxid:x} carries a txn for zxid 0x{entry.Header.Zxid:x}");
        return new Request(null, entry.Header.ClientId, entry.Header.Cxid, (OpCode)entry.Header.Type, ReadOnlyMemory<byte>.Empty, [])
        {
            FromLeader = true,
            Header = entry.Header,
            Txn = entry.Txn,
            Digest = entry.Digest,
            SerializedTxn = data,
        };
    }

    private async Task StartServingAsync(QuorumConnection connection, StartServing start, CancellationToken ct)
    {
        // UPTODATE: a config the leader had seen (a reconfig it finished, or the version it set) is now ours.
        if (_ctx.Options.ReconfigEnabled && _ctx.LastSeen.Version > _ctx.Verifier.Version)
        {
            _ctx.Activate(_ctx.LastSeen);
            InitConfigNode();
        }
        var role = new ServerRole
        {
            State = _observer ? "observer" : "follower",
            ServerId = _ctx.MyId,
            ConfExtra = _ctx.ConfText,
            PeerState = _observer ? "observing - broadcast" : "following - broadcast",
            // Java's synced_observers gauge is null here (no observer master), so mntr leaves it out.
            MonitorValues = () => _observer
                ? [new("observer_master_id", _leaderSid.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                   new("quorum_size", _ctx.Verifier.VotingMembers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))]
                : [new("quorum_size", _ctx.Verifier.VotingMembers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            ExpiresSessions = false,
            Chain = (zks, loggers, stopping) => _chain = new LearnerRequestChain(this, zks, _observer, stopping),
            Revalidate = RevalidateAsync,
            Touched = (id, timeout) => _touched[id] = timeout,
            Applied = r => { if (r.SerializedTxn is { } data) _ctx.Database.CommittedLog.Add(r.Header!.Zxid, data); },
        };
        var zks = new ZooKeeperServer(_ctx.Options, _ctx.Database, _ctx.Time, _ctx.Loggers, role);
        _zks = zks;
        _ = zks.Failure.ContinueWith(_ => connection.Close(), TaskContinuationOptions.OnlyOnFaulted);
        zks.Start();
        _ctx.SetServing(zks);
        LogServing(_observer ? "observer" : "follower", _ctx.Database.Tree.LastProcessedZxid);
        foreach (long zxid in start.AckZxids)
            await connection.SendAsync(QuorumPackets.Ack(zxid), ct).ConfigureAwait(false);
        foreach (var txn in start.ToLog)
            await LogProposalAsync(ParseTxn(txn.Zxid, txn.Data), ct).ConfigureAwait(false);
        foreach (long zxid in start.ToCommit) Commit(zxid);
    }

    // ---- broadcast ----

    private async Task BroadcastLoopAsync(QuorumConnection connection, CancellationToken ct)
    {
        while (true)
        {
            var packet = await connection.ReadAsync(ct).ConfigureAwait(false);
            switch ((QuorumPacketType)packet.Type)
            {
                case QuorumPacketType.Proposal when !_observer:
                {
                    var proposal = ParseTxn(packet.Zxid, packet.Data ?? throw new InvalidDataException("PROPOSAL without data"));
                    if (_ctx.Options.ReconfigEnabled && (OpCode)proposal.Header!.Type == OpCode.Reconfig && proposal.Txn is SetDataTxn seen)
                        _ctx.LastSeen = QuorumConfig.Parse(System.Text.Encoding.UTF8.GetString(seen.Data ?? []), packet.Zxid);
                    await LogProposalAsync(proposal, ct).ConfigureAwait(false);
                    break;
                }
                case QuorumPacketType.Commit when !_observer:
                    Commit(packet.Zxid);
                    break;
                case QuorumPacketType.Inform when _observer:
                    // Observers log what they are told too (syncRequestProcessorEnabled), then apply it.
                    await LogProposalAsync(ParseTxn(packet.Zxid, packet.Data ?? throw new InvalidDataException("INFORM without data")), ct).ConfigureAwait(false);
                    break;
                case QuorumPacketType.Ping:
                    var touches = _touched.ToArray();
                    foreach (var (id, _) in touches) _touched.TryRemove(id, out _);
                    var reply = QuorumPackets.Create(QuorumPacketType.Ping, packet.Zxid,
                        QuorumPackets.EncodeSessionTouches(touches.Select(t => new SessionTouch(t.Key, t.Value)).ToArray()), packet.Authinfo);
                    await connection.SendAsync(reply, ct).ConfigureAwait(false);
                    break;
                case QuorumPacketType.Sync:
                    _chain?.SyncDone();
                    break;
                case QuorumPacketType.Revalidate:
                    var (sessionId, valid) = QuorumPackets.ParseRevalidateReply(packet.Data);
                    if (_revalidations.TryRemove(sessionId, out var waiter)) waiter.TrySetResult(valid);
                    break;
                case QuorumPacketType.UpToDate:
                    LogUnexpected(packet.Type);
                    break;
                case QuorumPacketType.CommitAndActivate when !_observer:
                {
                    long designated = ReadDesignatedLeader(packet.Data);
                    Request? pending;
                    lock (_pendingLock) _pending.TryGetValue(packet.Zxid, out pending);
                    bool major = pending?.Txn is SetDataTxn config && Activate(config, packet.Zxid, designated);
                    Commit(packet.Zxid);
                    if (major) throw new QuorumRoleEndedException("changes proposed in reconfig");
                    break;
                }
                case QuorumPacketType.InformAndActivate when _observer:
                {
                    long designated = ReadDesignatedLeader(packet.Data);
                    var request = ParseTxn(packet.Zxid, packet.Data![8..]);
                    bool major = request.Txn is SetDataTxn config && Activate(config, packet.Zxid, designated);
                    await LogProposalAsync(request, ct).ConfigureAwait(false);
                    if (major) throw new QuorumRoleEndedException("changes proposed in reconfig");
                    break;
                }
                default:
                    LogUnexpected(packet.Type);
                    break;
            }
        }
    }

    private static long ReadDesignatedLeader(byte[]? data) =>
        data is { Length: >= 8 } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(data)
            : throw new InvalidDataException("COMMITANDACTIVATE/INFORMANDACTIVATE without a designated leader");

    // Java's processReconfig on a learner: true when this server must look again (another leader, another role, or out).
    private bool Activate(SetDataTxn config, long zxid, long designated)
    {
        if (!_ctx.Options.ReconfigEnabled) return false;
        var qv = QuorumConfig.Parse(System.Text.Encoding.UTF8.GetString(config.Data ?? []), zxid);
        _ctx.Activate(qv);
        var mine = qv.AllMembers.FirstOrDefault(m => m.Id == _ctx.MyId);
        bool roleChange = mine is null || (mine.Type == Config.LearnerType.Observer) != _observer;
        return roleChange || designated != _leaderSid;
    }

    private async ValueTask LogProposalAsync(Request request, CancellationToken ct)
    {
        lock (_pendingLock) _pending[request.Header!.Zxid] = request;
        await _chain!.LogAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>After the txn is durable: a follower ACKs it; an observer applies it.</summary>
    internal void Logged(Request request)
    {
        if (_observer) Commit(request.Header!.Zxid);
        else _connection?.TrySend(QuorumPackets.Ack(request.Header!.Zxid));
    }

    private void Commit(long zxid)
    {
        Request? request;
        lock (_pendingLock) _pending.Remove(zxid, out request);
        if (request is null)
        {
            LogCommitWithoutProposal(zxid);
            return;
        }
        _chain!.Commit(request);
    }

    /// <summary>Forwards a client write (or sync) to the leader as a REQUEST.</summary>
    internal bool Forward(Request request)
    {
        var packet = QuorumPackets.Request(request.SessionId, request.Cxid, (int)request.Type, request.Body.Span, [.. request.AuthInfo]);
        return _connection?.TrySend(packet) ?? false;
    }

    private async ValueTask<bool?> RevalidateAsync(long sessionId, int timeout, CancellationToken ct)
    {
        var connection = _connection;
        if (connection is null || connection.IsClosed) return null;
        var waiter = new TaskCompletionSource<bool?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _revalidations[sessionId] = waiter;
        if (!connection.TrySend(QuorumPackets.RevalidateRequest(sessionId, timeout)))
        {
            _revalidations.TryRemove(new KeyValuePair<long, TaskCompletionSource<bool?>>(sessionId, waiter));
            return null;
        }
        return await waiter.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{State} - connecting to leader sid {Sid} at {Host}:{Port}")]
    private partial void LogConnecting(string state, long sid, string host, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected exception, tries={Attempt}, connecting to the leader: {Reason}")]
    private partial void LogConnectRetry(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nothing heard from the leader for {Ms} ms; closing the connection")]
    private partial void LogLeaderSilent(double ms);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Truncating log to get in sync with the leader 0x{Zxid:x}")]
    private partial void LogTruncating(long zxid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Getting a snapshot from leader 0x{Zxid:x}")]
    private partial void LogLoadingSnapshot(long zxid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Synced with the leader; serving as {Role} at zxid 0x{Zxid:x}")]
    private partial void LogServing(string role, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected packet type {Type} from the leader")]
    private partial void LogUnexpected(int type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Committing zxid 0x{Zxid:x} but no proposal is pending for it")]
    private partial void LogCommitWithoutProposal(long zxid);
}
