using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Auth;
using ZkCompat.Server.Config;
using ZkCompat.Server.Data;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Processors;
using ZkCompat.Server.Sessions;

namespace ZkCompat.Server;

/// <summary>
/// A standalone server's core (Java's <c>ZooKeeperServer</c>): the tree, the sessions, the zxid
/// counter and the Prep → Sync → Final chain. The network layer hands it connect requests and
/// requests; it never touches sockets itself.
/// </summary>
public sealed partial class ZooKeeperServer : ISessionExpirer, IAsyncDisposable
{
    /// <summary>Standalone servers build session ids with server id 1, as Java does.</summary>
    public const long StandaloneServerId = 1;

    private readonly ILogger _log;
    private readonly ITxnLog _txnLog;
    private readonly IRequestChain _chain;
    private readonly FinalRequestProcessor _final;
    private readonly ConcurrentDictionary<long, IServerConnection> _connectionsBySession = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _loops = [];
    private readonly TaskCompletionSource _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _hzxid;
    private int _inProcess;

    /// <summary>A server on a loaded database: the tree, sessions and log come from the dataDir.</summary>
    public ZooKeeperServer(ServerOptions options, ZkDatabase database, TimeProvider time, ILoggerFactory loggers, ServerRole? role = null)
        : this(options, database.TxnLog, time, loggers, database, role)
    {
    }

    /// <summary>A server whose log is only <paramref name="txnLog"/> (in-memory in tests).</summary>
    public ZooKeeperServer(ServerOptions options, ITxnLog txnLog, TimeProvider time, ILoggerFactory loggers)
        : this(options, txnLog, time, loggers, null, null)
    {
    }

    private ZooKeeperServer(ServerOptions options, ITxnLog txnLog, TimeProvider time, ILoggerFactory loggers, ZkDatabase? database, ServerRole? role)
    {
        Role = role ?? ServerRole.Standalone;
        Database = database;
        Options = options;
        Time = time;
        _txnLog = txnLog;
        _log = loggers.CreateLogger("ZkCompat.Server.ZooKeeperServer");
        Limits = new JuteLimits(options.JuteMaxBuffer, options.JuteMaxBufferExtra);
        Tree = database?.Tree ?? new DataTree(options.ExtendedTypesEnabled);
        AuthProviders = AuthenticationProviders.FromOptions(options);
        Sessions = new SessionTracker(options.SessionTrackerServerId, options.TickTime, time, this);
        // Restored sessions are tracked again and expire normally unless their clients return.
        if (database is not null)
            foreach (var (id, timeout) in database.Sessions) Sessions.TrackSession(id, timeout);
        _hzxid = Tree.LastProcessedZxid;
        if (Role.InitialZxid is { } initial) _hzxid = initial;
        _final = new FinalRequestProcessor(this, loggers.CreateLogger("ZkCompat.Server.FinalRequestProcessor"));
        _chain = Role.Chain?.Invoke(this, loggers, _stopping.Token) ?? new StandaloneRequestChain(this, loggers, _stopping.Token);
        StartTime = time.GetUtcNow();
    }

    public ServerOptions Options { get; }

    /// <summary>How this server is wired into its ensemble (standalone, leader, follower, observer).</summary>
    public ServerRole Role { get; }

    /// <summary>Java's <c>ServerStats.getServerState</c>: Mode in srvr/stat, zk_server_state in mntr.</summary>
    public string ServerState => Role.State;

    /// <summary>The log the chain appends to (the database's, or an in-memory one in tests).</summary>
    public ITxnLog TxnLog => _txnLog;

    /// <summary>The last stage; role chains hand it committed requests, one thread at a time.</summary>
    public FinalRequestProcessor Final => _final;

    /// <summary>The on-disk database, or null for a server that keeps its log in memory.</summary>
    public ZkDatabase? Database { get; }
    public TimeProvider Time { get; }
    public JuteLimits Limits { get; }
    public DataTree Tree { get; }
    public SessionTracker Sessions { get; }
    public AuthenticationProviders AuthProviders { get; }
    public OutstandingChanges Outstanding { get; } = new();
    public DateTimeOffset StartTime { get; }
    public ServerStats Stats { get; } = new();

    /// <summary>The last zxid handed out by Prep.</summary>
    public long Zxid => Interlocked.Read(ref _hzxid);

    public long NextZxid() => Interlocked.Increment(ref _hzxid);

    /// <summary>A request that leaves the chain without reaching Final (a learner's sync) still stops counting.</summary>
    public void RequestDropped() => Interlocked.Decrement(ref _inProcess);

    public int InProcess => Volatile.Read(ref _inProcess);

    public int OutstandingRequests => InProcess;

    /// <summary>Connections bound to a session, by session id.</summary>
    public IReadOnlyCollection<IServerConnection> SessionConnections => _connectionsBySession.Values.ToArray();

    /// <summary>Every open client connection (set by the network layer, read by four-letter words).</summary>
    public Func<IReadOnlyCollection<IServerConnection>> ConnectionSource { get; set; } = () => [];

    public IReadOnlyCollection<IServerConnection> Connections => ConnectionSource();

    /// <summary>Completes (with the exception) if a processor stage dies: the server must stop, as Java's does.</summary>
    public Task Failure => _failure.Task;

    public void Start()
    {
        var ct = _stopping.Token;
        _chain.Start((name, loop) =>
        {
            var task = Watch(name, Task.Run(loop, ct));
            _loops.Add(task);
            return task;
        }, ct);
        // Only the leader (or a standalone server) expires sessions and reaps containers: learners
        // would create txns the leader makes anyway.
        if (Role.ExpiresSessions)
        {
            _loops.Add(Task.Run(() => Sessions.RunAsync(ct), ct));
            var containers = new ContainerManager(this, _log);
            _loops.Add(Task.Run(() => containers.RunAsync(ct), ct));
        }
        if (Database is { } db) _loops.Add(Task.Run(() => db.RunAutopurgeAsync(ct), ct));
        LogStarted(Options.TickTime, Options.EffectiveMinSessionTimeout, Options.EffectiveMaxSessionTimeout);
    }

    /// <summary>
    /// Entry point for a request read off a connection (Java's <c>submitRequest</c>): the session
    /// is touched, invalid opcodes are refused, and the request joins the chain. Waits when the
    /// chain is full, which stops the connection reading: back-pressure.
    /// </summary>
    public async ValueTask SubmitAsync(Request request, CancellationToken ct)
    {
        // Java's touch(cnxn): any packet keeps the session alive; a request of a session this
        // server does not know (or that is closing) is dropped without a reply.
        if (request.Connection is { } cnxn)
        {
            if (!Sessions.TouchSession(request.SessionId, cnxn.SessionTimeout))
            {
                LogDroppedRequest(request);
                return;
            }
            Role.Touched?.Invoke(request.SessionId, cnxn.SessionTimeout);
        }
        if (!IsValidOpCode(request.Type))
        {
            LogUnknownPacket((int)request.Type);
            // Java's UnimplementedRequestProcessor: reply UNIMPLEMENTED, then close.
            request.Connection?.SendResponse(new ReplyHeader(request.Cxid, -1, (int)ErrorCode.Unimplemented), null);
            request.Connection?.SendCloseSession();
            return;
        }
        Interlocked.Increment(ref _inProcess);
        await _chain.EnqueueAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Java's <c>Request.isValid</c>: the opcodes a client may send.</summary>
    public static bool IsValidOpCode(OpCode type) => type switch
    {
        OpCode.Notification or OpCode.Check => false,
        OpCode.Create or OpCode.Create2 or OpCode.CreateTtl or OpCode.CreateContainer or OpCode.Delete
            or OpCode.DeleteContainer or OpCode.Exists or OpCode.GetData or OpCode.SetData or OpCode.GetAcl
            or OpCode.SetAcl or OpCode.GetChildren or OpCode.GetChildren2 or OpCode.GetAllChildrenNumber
            or OpCode.Sync or OpCode.Ping or OpCode.Multi or OpCode.MultiRead or OpCode.Reconfig
            or OpCode.CheckWatches or OpCode.RemoveWatches or OpCode.CreateSession or OpCode.CloseSession
            or OpCode.SetWatches or OpCode.SetWatches2 or OpCode.AddWatch or OpCode.GetEphemerals
            or OpCode.WhoAmI or OpCode.Sasl or OpCode.Auth => true,
        _ => false,
    };

    /// <summary>
    /// The connect handshake (Java's <c>processConnectRequest</c>). Returns false when the
    /// connection must be closed without a reply.
    /// </summary>
    public async ValueTask<bool> ProcessConnectRequestAsync(IServerConnection cnxn, ConnectRequest request, bool readOnlyRequested, CancellationToken ct)
    {
        if (Role.ReadOnly && !readOnlyRequested)
        {
            LogNotReadOnlyClient(request.SessionId);
            return false;
        }
        if (request.LastZxidSeen > Tree.LastProcessedZxid)
        {
            LogClientAhead(request.LastZxidSeen, Tree.LastProcessedZxid);
            return false;
        }
        int timeout = Math.Clamp(request.TimeOut, Options.EffectiveMinSessionTimeout, Options.EffectiveMaxSessionTimeout);
        if (request.SessionId == 0)
        {
            long id = Sessions.CreateSession(timeout);
            cnxn.BindSession(id, timeout);
            _connectionsBySession[id] = cnxn;
            LogNewSession(id, timeout);
            var body = new byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(body, timeout);
            await SubmitAsync(new Request(cnxn, id, 0, OpCode.CreateSession, body, cnxn.AuthInfo) { Owner = cnxn }, ct).ConfigureAwait(false);
            return true;
        }

        long sessionId = request.SessionId;
        // A reconnect takes the session over: the previous connection goes.
        if (_connectionsBySession.TryGetValue(sessionId, out var previous) && !ReferenceEquals(previous, cnxn))
            previous.SendCloseSession();
        cnxn.BindSession(sessionId, timeout);
        if (!SessionTracker.CheckPassword(sessionId, request.Passwd))
        {
            FinishSessionInit(cnxn, valid: false);
            return true;
        }
        bool valid;
        if (Role.Revalidate is { } revalidate)
        {
            // Java's Learner.validateSession: no leader to ask means an IOException and a closed connection, not "expired".
            if (await revalidate(sessionId, timeout, ct).ConfigureAwait(false) is not { } answer) return false;
            valid = answer;
        }
        else
        {
            valid = Sessions.TouchSession(sessionId, timeout);
        }
        if (valid && Role.Revalidate is not null) Sessions.TrackSession(sessionId, timeout);
        if (valid)
        {
            Sessions.SetOwner(sessionId, cnxn);
            _connectionsBySession[sessionId] = cnxn;
        }
        FinishSessionInit(cnxn, valid);
        return true;
    }

    /// <summary>Sends the ConnectResponse (Java's <c>finishSessionInit</c>).</summary>
    public void FinishSessionInit(IServerConnection cnxn, bool valid)
    {
        var response = new ConnectResponse(0, valid ? cnxn.SessionTimeout : 0, valid ? cnxn.SessionId : 0,
            valid ? SessionTracker.GeneratePassword(cnxn.SessionId) : new byte[16]);
        cnxn.SendConnectResponse(response, readOnly: Role.ReadOnly);
        if (valid)
        {
            LogSessionEstablished(cnxn.SessionId, cnxn.SessionTimeout);
            cnxn.SessionEstablished(true);
        }
        else
        {
            LogInvalidSession(cnxn.SessionId);
            cnxn.SessionEstablished(false);
            cnxn.SendCloseSession();
        }
    }

    /// <summary>Applies a request's txn (Final's first step; Java's <c>processTxn</c>).</summary>
    public ProcessTxnResult? ApplyRequest(Request request)
    {
        if (!request.FromLeader) Interlocked.Decrement(ref _inProcess);
        if (request.Header is not { } header) return null;
        Debug.Assert(header.Zxid > Tree.LastProcessedZxid || header.Zxid == 0, "zxids are applied in increasing order");
        var rc = Tree.ProcessTxn(header, request.Txn, request.Digest);
        switch ((OpCode)header.Type)
        {
            case OpCode.CreateSession when request.Txn is CreateSessionTxn create:
                Sessions.TrackSession(header.ClientId, create.TimeOut);
                if (Database is { } created) created.SessionsWithTimeouts[header.ClientId] = create.TimeOut;
                break;
            case OpCode.CloseSession:
                Sessions.RemoveSession(header.ClientId);
                Database?.SessionsWithTimeouts.TryRemove(header.ClientId, out _);
                if (request.Connection is null && _connectionsBySession.TryRemove(header.ClientId, out var owner))
                {
                    // Expired: the session's connection goes too.
                    owner.SendCloseSession();
                }
                break;
        }
        Outstanding.RetireUpTo(header.Zxid);
        Role.Applied?.Invoke(request);
        return rc;
    }

    private Task Watch(string name, Task loop)
    {
        _ = loop.ContinueWith(t =>
        {
            LogStageFailed(name, t.Exception!.GetBaseException());
            _failure.TrySetException(t.Exception!.GetBaseException());
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return loop;
    }

    /// <summary>Called by Sync after each append: roll the log and snapshot in the background when due.</summary>
    public void MaybeSnapshot()
    {
        if (Database is { } db && db.ShouldSnapshot() && db.RollLogAndStartSnapshot() is { } snapshot)
            _ = snapshot.ContinueWith(t => LogSnapshotFailed(t.Exception!), TaskContinuationOptions.OnlyOnFaulted);
    }

    /// <summary>A session ends without a txn (read-only mode): forget it and close its connection.</summary>
    public void CloseSessionLocally(long sessionId)
    {
        Sessions.RemoveSession(sessionId);
        if (_connectionsBySession.TryRemove(sessionId, out var owner)) owner.SendCloseSession();
    }

    /// <summary>A connection closed: its watches go, its session stays until it expires.</summary>
    public void ConnectionClosed(IServerConnection cnxn)
    {
        if (cnxn.SessionId != 0) _connectionsBySession.TryRemove(new KeyValuePair<long, IServerConnection>(cnxn.SessionId, cnxn));
        Tree.RemoveCnxn(cnxn);
    }

    /// <summary>Session expiry (from the tracker's loop): queue a closeSession on its behalf.</summary>
    public void Expire(Session session)
    {
        LogExpiring(session.Id, session.Timeout);
        var request = new Request(null, session.Id, 0, OpCode.CloseSession, ReadOnlyMemory<byte>.Empty, []);
        _ = SubmitInternalAsync(request);
    }

    /// <summary>A learner's forwarded request (Java's <c>submitLearnerRequest</c>): no session touch, no reply here.</summary>
    public async ValueTask SubmitLearnerRequestAsync(Request request, CancellationToken ct)
    {
        if (!IsValidOpCode(request.Type))
        {
            LogUnknownPacket((int)request.Type);
            return;
        }
        Interlocked.Increment(ref _inProcess);
        await _chain.EnqueueAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Requests from the server itself (expiry, container reaping) skip the session touch.</summary>
    public async Task SubmitInternalAsync(Request request)
    {
        try
        {
            Interlocked.Increment(ref _inProcess);
            await _chain.EnqueueAsync(request, _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _chain.Complete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // A quorum peer's database outlives each role's server; a standalone server owns its own.
        if (Database is not null)
        {
            if (ReferenceEquals(Role, ServerRole.Standalone)) await Database.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            _txnLog.Dispose();
        }
        _stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Severe unrecoverable error, from thread : {Stage}")]
    private partial void LogStageFailed(string stage, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Severe unrecoverable error, from thread : Snapshot Thread")]
    private partial void LogSnapshotFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Server started: tickTime={TickTime} minSessionTimeout={Min} maxSessionTimeout={Max}")]
    private partial void LogStarted(int tickTime, int min, int max);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Dropping request of an unknown session: {Request}")]
    private partial void LogDroppedRequest(Request request);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Received packet at server of unknown type {Type}")]
    private partial void LogUnknownPacket(int type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refusing session request for client as it has seen zxid 0x{Seen:x} our last zxid is 0x{Ours:x}; client must try another server")]
    private partial void LogClientAhead(long seen, long ours);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refusing session request for not-read-only client 0x{SessionId:x}")]
    private partial void LogNotReadOnlyClient(long sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Creating new session 0x{SessionId:x} with timeout {Timeout}")]
    private partial void LogNewSession(long sessionId, int timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session establishment complete: session 0x{SessionId:x}, negotiated timeout {Timeout}")]
    private partial void LogSessionEstablished(long sessionId, int timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invalid session 0x{SessionId:x} for client, probably expired")]
    private partial void LogInvalidSession(long sessionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expiring session 0x{SessionId:x}, timeout of {Timeout}ms exceeded")]
    private partial void LogExpiring(long sessionId, int timeout);
}
