using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Client;

/// <summary>
/// A small asynchronous ZooKeeper client speaking the 3.8 client protocol over one socket. Requests
/// are pipelined; each call completes when its reply arrives. A non-zero reply err throws
/// <see cref="KeeperException"/> (with the request path); a lost connection fails everything with
/// ConnectionLoss. No reconnect: resume a session with a new <see cref="ConnectAsync"/> given
/// <see cref="SessionId"/> and <see cref="Password"/>. Paths are sent as given (no client-side
/// validation, no chroot), so tests can see what the server does with anything.
/// </summary>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private readonly ZooKeeperClientOptions _options;

    private ZooKeeperClient(Socket socket, PipeReader input, PipeWriter output, ConnectResponse response, bool readOnly, ZooKeeperClientOptions options)
    {
        _options = options;
        _socket = socket;
        _input = input;
        _output = output;
        _time = options.Time;
        _maxBuffer = options.MaxBuffer;
        _limits = new JuteLimits(options.MaxBuffer);
        SessionId = response.SessionId;
        Password = response.Passwd ?? [];
        NegotiatedTimeout = response.TimeOut;
        ReadOnly = readOnly;
        _lastZxid = options.LastZxidSeen;
        StartLoops(out _sendLoop, out _receiveLoop, out _keepAliveLoop, options.KeepAlive);
    }

    public long SessionId { get; }

    /// <summary>The 16-byte session password from the ConnectResponse.</summary>
    public byte[] Password { get; }

    /// <summary>Session timeout in ms as the server granted it.</summary>
    public int NegotiatedTimeout { get; }

    /// <summary>The server said it is in read-only mode.</summary>
    public bool ReadOnly { get; }

    /// <summary>Highest positive zxid seen in a reply header.</summary>
    public long LastZxid => Volatile.Read(ref _lastZxid);

    /// <summary>
    /// Watch notifications (xid -1) in arrival order, then one state event (type None, state
    /// Disconnected, or Closed after <see cref="CloseAsync"/>), then the channel completes.
    /// </summary>
    public ChannelReader<WatcherEvent> Events => _events.Reader;

    /// <summary>Completes once the connection is gone and every pending request has failed.</summary>
    public Task Completion => _closed.Task;

    public bool IsConnected => Volatile.Read(ref _shutdown) == 0;

    /// <summary>Why the connection ended (null while it is up).</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    /// <summary>Ping replies received so far, from <see cref="PingAsync"/> and from the keep-alive loop.</summary>
    public long PingRepliesReceived => Interlocked.Read(ref _pingReplies);

    /// <summary>Requests written and not yet answered.</summary>
    public int PendingCount => _pending.Count;

    // ---- znodes ----

    /// <summary>create (1), or createContainer (19) / createTTL (21) as Java's client picks; returns the actual path.</summary>
    public Task<string> CreateAsync(string path, byte[]? data, IReadOnlyList<ACL> acl, CreateMode mode = CreateMode.Persistent, long ttl = -1, CancellationToken ct = default)
    {
        if (mode.IsTtl())
            return Submit(new PendingRequest<string>(OpCode.CreateTtl, new CreateTTLRequest(path, data, AclList.From(acl), (int)mode, ttl), path, ReadCreatePath), ct);
        var op = mode.IsContainer() ? OpCode.CreateContainer : OpCode.Create;
        return Submit(new PendingRequest<string>(op, new CreateRequest(path, data, AclList.From(acl), (int)mode), path, ReadCreatePath), ct);
    }

    /// <summary>create2 (15), or createContainer (19) / createTTL (21); returns the path and the new node's Stat.</summary>
    public Task<(string Path, Stat Stat)> Create2Async(string path, byte[]? data, IReadOnlyList<ACL> acl, CreateMode mode = CreateMode.Persistent, long ttl = -1, CancellationToken ct = default)
    {
        IJuteRecord request;
        OpCode op;
        if (mode.IsTtl())
        {
            op = OpCode.CreateTtl;
            request = new CreateTTLRequest(path, data, AclList.From(acl), (int)mode, ttl);
        }
        else
        {
            op = mode.IsContainer() ? OpCode.CreateContainer : OpCode.Create2;
            request = new CreateRequest(path, data, AclList.From(acl), (int)mode);
        }
        return Submit(new PendingRequest<(string, Stat)>(op, request, path, ReadCreate2), ct);
    }

    public Task DeleteAsync(string path, int version = -1, CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.Delete, new DeleteRequest(path, version), path, ReadNothing), ct);

    /// <summary>The node's Stat, or null on NONODE (a watch set then fires on creation).</summary>
    public Task<Stat?> ExistsAsync(string path, bool watch = false, CancellationToken ct = default) =>
        Submit(new PendingRequest<Stat?>(OpCode.Exists, new ExistsRequest(path, watch), path, ReadExists, defaultOn: ErrorCode.NoNode), ct);

    public Task<(byte[]? Data, Stat Stat)> GetDataAsync(string path, bool watch = false, CancellationToken ct = default) =>
        Submit(new PendingRequest<(byte[]?, Stat)>(OpCode.GetData, new GetDataRequest(path, watch), path, ReadGetData), ct);

    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1, CancellationToken ct = default) =>
        Submit(new PendingRequest<Stat>(OpCode.SetData, new SetDataRequest(path, data, version), path, ReadSetData), ct);

    public Task<(List<ACL> Acl, Stat Stat)> GetAclAsync(string path, CancellationToken ct = default) =>
        Submit(new PendingRequest<(List<ACL>, Stat)>(OpCode.GetAcl, new GetACLRequest(path), path, ReadGetAcl), ct);

    public Task<Stat> SetAclAsync(string path, IReadOnlyList<ACL> acl, int version = -1, CancellationToken ct = default) =>
        Submit(new PendingRequest<Stat>(OpCode.SetAcl, new SetACLRequest(path, AclList.From(acl), version), path, ReadSetAcl), ct);

    public Task<List<string>> GetChildrenAsync(string path, bool watch = false, CancellationToken ct = default) =>
        Submit(new PendingRequest<List<string>>(OpCode.GetChildren, new GetChildrenRequest(path, watch), path, ReadChildren), ct);

    public Task<(List<string> Children, Stat Stat)> GetChildren2Async(string path, bool watch = false, CancellationToken ct = default) =>
        Submit(new PendingRequest<(List<string>, Stat)>(OpCode.GetChildren2, new GetChildren2Request(path, watch), path, ReadChildren2), ct);

    /// <summary>Number of all descendants (not just children).</summary>
    public Task<int> GetAllChildrenNumberAsync(string path, CancellationToken ct = default) =>
        Submit(new PendingRequest<int>(OpCode.GetAllChildrenNumber, new GetAllChildrenNumberRequest(path), path, ReadAllChildrenNumber), ct);

    /// <summary>This session's ephemerals under a prefix ("/" for all).</summary>
    public Task<List<string>> GetEphemeralsAsync(string prefixPath = "/", CancellationToken ct = default) =>
        Submit(new PendingRequest<List<string>>(OpCode.GetEphemerals, new GetEphemeralsRequest(prefixPath), prefixPath, ReadEphemerals), ct);

    /// <summary>
    /// Dynamic reconfiguration (opcode 16): incremental (<paramref name="joining"/>/<paramref name="leaving"/>,
    /// comma-separated) or non-incremental (<paramref name="newMembers"/>); returns the new config text and stat.
    /// </summary>
    public Task<(byte[]? Data, Stat Stat)> ReconfigAsync(string? joining, string? leaving, string? newMembers, long fromConfig = -1, CancellationToken ct = default) =>
        Submit(new PendingRequest<(byte[]?, Stat)>(OpCode.Reconfig, new ReconfigRequest(joining, leaving, newMembers, fromConfig), "/zookeeper/config", ReadGetData), ct);

    public Task SyncAsync(string path, CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.Sync, new SyncRequest(path), path, ReadNothing), ct);

    // ---- sessions, auth, watches ----

    /// <summary>auth (100, xid -4). AUTHFAILED throws; the server then closes the connection.</summary>
    public Task AddAuthAsync(string scheme, byte[] auth, CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.Auth, new AuthPacket(0, scheme, auth), null, ReadNothing, Xids.Auth), ct);

    public Task AddWatchAsync(string path, AddWatchMode mode, CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.AddWatch, new AddWatchRequest(path, (int)mode), path, ReadNothing), ct);

    /// <summary>NOWATCHER throws when the connection has no such watch on the path.</summary>
    public Task CheckWatchesAsync(string path, WatcherType type, CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.CheckWatches, new CheckWatchesRequest(path, (int)type), path, ReadNothing), ct);

    public Task RemoveWatchesAsync(string path, WatcherType type, CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.RemoveWatches, new RemoveWatchesRequest(path, (int)type), path, ReadNothing), ct);

    /// <summary>
    /// setWatches (101), or setWatches2 (105) when there are persistent watches, as Java's client
    /// chooses on reconnect; xid -8.
    /// </summary>
    public Task SetWatchesAsync(long relativeZxid, IReadOnlyList<string> data, IReadOnlyList<string> exist, IReadOnlyList<string> child,
        IReadOnlyList<string>? persistent = null, IReadOnlyList<string>? persistentRecursive = null, CancellationToken ct = default)
    {
        IJuteRecord request;
        OpCode op;
        if ((persistent is null || persistent.Count == 0) && (persistentRecursive is null || persistentRecursive.Count == 0))
        {
            op = OpCode.SetWatches;
            request = new SetWatches(relativeZxid, [.. data], [.. exist], [.. child]);
        }
        else
        {
            op = OpCode.SetWatches2;
            request = new SetWatches2(relativeZxid, [.. data], [.. exist], [.. child], [.. persistent ?? []], [.. persistentRecursive ?? []]);
        }
        return Submit(new PendingRequest<bool>(op, request, null, ReadNothing, Xids.SetWatches), ct);
    }

    /// <summary>
    /// multi (14). A failed transaction does not throw: every result is then an
    /// <see cref="OpResult.ErrorResult"/> (0 before the failing op, its code, then RUNTIMEINCONSISTENCY).
    /// </summary>
    public Task<IReadOnlyList<OpResult>> MultiAsync(IEnumerable<Op> ops, CancellationToken ct = default) =>
        Submit(new PendingRequest<IReadOnlyList<OpResult>>(OpCode.Multi, MultiRecords.Request(ops), null, MultiRecords.ReadResponse), ct);

    /// <summary>multiRead (22): getData / getChildren ops, each succeeding or failing on its own.</summary>
    public Task<IReadOnlyList<OpResult>> MultiReadAsync(IEnumerable<Op> ops, CancellationToken ct = default) =>
        Submit(new PendingRequest<IReadOnlyList<OpResult>>(OpCode.MultiRead, MultiRecords.Request(ops), null, MultiRecords.ReadResponse), ct);

    /// <summary>whoAmI (107): one ClientInfo per auth id of this connection.</summary>
    public Task<List<ClientInfo>> WhoAmIAsync(CancellationToken ct = default) =>
        Submit(new PendingRequest<List<ClientInfo>>(OpCode.WhoAmI, null, null, ReadWhoAmI), ct);

    public Task PingAsync(CancellationToken ct = default) =>
        Submit(new PendingRequest<bool>(OpCode.Ping, null, null, ReadNothing, Xids.Ping), ct);

    // ---- protocol tests ----

    /// <summary>
    /// Sends RequestHeader(xid, op) + <paramref name="request"/> and returns the reply as it came,
    /// whatever its err. The xid defaults to the special one for ping/auth/setWatches, else the next.
    /// </summary>
    public Task<RawReply> SendRawAsync(OpCode op, IJuteRecord? request, int? xid = null, CancellationToken ct = default)
    {
        xid ??= op switch
        {
            OpCode.Ping => Xids.Ping,
            OpCode.Auth => Xids.Auth,
            OpCode.SetWatches or OpCode.SetWatches2 => Xids.SetWatches,
            _ => null,
        };
        var pending = new RawPendingRequest(op, request, xid);
        if (ct.IsCancellationRequested) return Task.FromCanceled<RawReply>(ct);
        Enqueue(pending, ct);
        return pending.Task;
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> exactly as given (length prefix included, or deliberately wrong)
    /// and waits for the reply carrying <paramref name="replyXid"/>.
    /// </summary>
    public Task<RawReply> SendRawBytesAsync(ReadOnlyMemory<byte> bytes, int replyXid, CancellationToken ct = default)
    {
        var pending = new RawPendingRequest(OpCode.Notification, null, replyXid) { RawBytes = bytes };
        if (ct.IsCancellationRequested) return Task.FromCanceled<RawReply>(ct);
        Enqueue(pending, ct);
        return pending.Task;
    }

    /// <summary>Writes <paramref name="bytes"/> as they are, expecting no reply; completes once handed to the socket.</summary>
    public Task WriteRawBytesAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct = default)
    {
        var pending = new RawPendingRequest(OpCode.Notification, null, 0) { RawBytes = bytes, ExpectsReply = false };
        if (ct.IsCancellationRequested) return Task.FromCanceled(ct);
        Enqueue(pending, ct);
        return pending.Task;
    }

    // ---- closing ----

    /// <summary>closeSession (-11), waits for its reply (the server then closes the socket), then closes.</summary>
    public async Task CloseAsync(CancellationToken ct = default)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) == 0 && IsConnected)
        {
            var close = new PendingRequest<bool>(OpCode.CloseSession, null, null, ReadNothing);
            Enqueue(close, ct);
            try
            {
                await close.Task.ConfigureAwait(false);
            }
            catch (Exception e) when (e is KeeperException or OperationCanceledException)
            {
                // already disconnected or given up: close the socket regardless
            }
        }
        Shutdown("closed by the client");
        await Task.WhenAll(_sendLoop, _receiveLoop, _keepAliveLoop).ConfigureAwait(false);
    }

    /// <summary>
    /// Drops the connection without closing the session, as a crashed client would: pending
    /// requests fail with ConnectionLoss and the session lives on until the server expires it.
    /// </summary>
    public void Abort() => Shutdown("aborted by the client");

    /// <summary>Closes the session, waiting at most <see cref="ZooKeeperClientOptions.ConnectTimeout"/> for the server.</summary>
    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(_options.ConnectTimeout, _time);
        await CloseAsync(timeout.Token).ConfigureAwait(false);
    }

    private Task<T> Submit<T>(PendingRequest<T> request, CancellationToken ct)
    {
        if (ct.IsCancellationRequested) return Task.FromCanceled<T>(ct);
        Enqueue(request, ct);
        return request.Task;
    }

    // Reply decoders: static so each delegate is created once.
    private static bool ReadNothing(ref JuteReader body) => true;

    private static string ReadCreatePath(ref JuteReader body) => CreateResponse.Deserialize(ref body).Path ?? "";

    private static (string, Stat) ReadCreate2(ref JuteReader body)
    {
        var response = Create2Response.Deserialize(ref body);
        return (response.Path ?? "", response.Stat);
    }

    private static Stat? ReadExists(ref JuteReader body) => ExistsResponse.Deserialize(ref body).Stat;

    private static (byte[]?, Stat) ReadGetData(ref JuteReader body)
    {
        var response = GetDataResponse.Deserialize(ref body);
        return (response.Data, response.Stat);
    }

    private static Stat ReadSetData(ref JuteReader body) => SetDataResponse.Deserialize(ref body).Stat;

    private static (List<ACL>, Stat) ReadGetAcl(ref JuteReader body)
    {
        var response = GetACLResponse.Deserialize(ref body);
        return (response.Acl ?? [], response.Stat);
    }

    private static Stat ReadSetAcl(ref JuteReader body) => SetACLResponse.Deserialize(ref body).Stat;

    private static List<string> ReadChildren(ref JuteReader body) => Strings.NonNull(GetChildrenResponse.Deserialize(ref body).Children);

    private static (List<string>, Stat) ReadChildren2(ref JuteReader body)
    {
        var response = GetChildren2Response.Deserialize(ref body);
        return (Strings.NonNull(response.Children), response.Stat);
    }

    private static int ReadAllChildrenNumber(ref JuteReader body) => GetAllChildrenNumberResponse.Deserialize(ref body).TotalNumber;

    private static List<string> ReadEphemerals(ref JuteReader body) => Strings.NonNull(GetEphemeralsResponse.Deserialize(ref body).Ephemerals);

    private static List<ClientInfo> ReadWhoAmI(ref JuteReader body) => WhoAmIResponse.Deserialize(ref body).ClientInfo ?? [];
}
