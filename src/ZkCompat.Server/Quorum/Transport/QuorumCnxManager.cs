using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Quorum.Transport;

/// <summary>Settings of the election-port connection manager; defaults are Java 3.8's.</summary>
public sealed record QuorumCnxManagerOptions
{
    /// <summary><c>zookeeper.cnxTimeout</c>: how long a dial may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long an accepted connection may take to say who it is (Java's socket read timeout during the
    /// handshake: <c>zookeeper.quorumCnxnTimeoutMs</c>, else tickTime × syncLimit).
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary><c>multiAddress.enabled</c>: introduce ourselves with every address (protocol V2).</summary>
    public bool MultiAddressEnabled { get; init; }

    /// <summary>First pause after a failed dial before the same peer is dialled again; doubles per failure.</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest pause between dials of an unreachable peer.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Received messages kept for the election (Java's RECV_CAPACITY); the oldest is dropped when full.</summary>
    public int ReceiveCapacity { get; init; } = 100;

    /// <summary>Accepted connections still in their handshake; more are closed at once.</summary>
    public int MaxPendingHandshakes { get; init; } = 64;

    /// <summary><c>zookeeper.electionPortBindRetry</c>: listener failures in a row before giving up (0 = never).</summary>
    public int ListenRetries { get; init; } = 3;

    /// <summary>Pause before listening again after the listener failed.</summary>
    public TimeSpan ListenRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    public static QuorumCnxManagerOptions Default { get; } = new();

    /// <summary>Reads the system properties Java's QuorumCnxManager and QuorumPeer read.</summary>
    public static QuorumCnxManagerOptions From(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        int connectMs = options.GetInt32Property("zookeeper.cnxTimeout", 5000);
        int quorumCnxnMs = options.GetInt32Property("zookeeper.quorumCnxnTimeoutMs", -1);
        long socketTimeoutMs = quorumCnxnMs > 0 ? quorumCnxnMs : (long)options.TickTime * options.SyncLimit;
        int bindRetries = options.GetInt32Property("zookeeper.electionPortBindRetry", 3);
        var connect = connectMs > 0 ? TimeSpan.FromMilliseconds(connectMs) : Timeout.InfiniteTimeSpan;
        return new QuorumCnxManagerOptions
        {
            ConnectTimeout = connect,
            // Java's 0 would wait forever; a peer that never speaks must not hold a handshake slot for good.
            HandshakeTimeout = socketTimeoutMs > 0 ? TimeSpan.FromMilliseconds(socketTimeoutMs) : TimeSpan.FromSeconds(5),
            MultiAddressEnabled = options.MultiAddressEnabled,
            ListenRetries = bindRetries >= 0 ? bindRetries : 3,
        };
    }
}

/// <summary>
/// Java's <c>QuorumCnxManager</c>: one connection per pair of servers on the election port, owned by
/// the higher sid. A dial sends the initial message (protocol version, sid, election address); a dialler
/// with the lower sid then hangs up and waits for the call back, and a listener that hears from a lower
/// sid hangs up and calls back. After that both directions carry <c>int length</c> frames. Each peer
/// has a one-slot send queue (the newest message wins) that outlives its connections, and a new
/// connection repeats the last message sent when nothing newer waits. Everything received lands in one
/// bounded channel that drops the oldest message when full.
/// </summary>
public sealed partial class QuorumCnxManager : IAsyncDisposable
{
    private readonly long _mySid;
    private readonly QuorumServerSpec _self;
    private volatile Dictionary<long, QuorumServerSpec> _members;
    private readonly bool _listenOnAllIps;
    private readonly IPeerNetwork _network;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly QuorumCnxManagerOptions _options;
    private readonly byte[] _initialMessage;
    private readonly Channel<(long Sid, byte[] Payload)> _received;
    private readonly Lock _gate = new();
    private readonly Dictionary<long, Peer> _peers = new();
    private readonly List<IPeerListener> _listeners = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private int _handshakes;
    private long _observerCounter;
    private volatile bool _disposed;
    private bool _started;

    public QuorumCnxManager(
        long mySid,
        IReadOnlyList<QuorumServerSpec> members,
        bool listenOnAllIps,
        IPeerNetwork network,
        TimeProvider time,
        ILoggerFactory loggers,
        QuorumCnxManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        _mySid = mySid;
        _members = members.ToDictionary(m => m.Id);
        _self = _members.GetValueOrDefault(mySid)
            ?? throw new ArgumentException($"server.{mySid} is not among the members", nameof(members));
        _listenOnAllIps = listenOnAllIps;
        _network = network;
        _time = time;
        _log = loggers.CreateLogger("ZkCompat.Server.Quorum.Transport.QuorumCnxManager");
        _options = options ?? QuorumCnxManagerOptions.Default;
        if (_options.ReceiveCapacity <= 0) throw new ArgumentOutOfRangeException(nameof(options), "ReceiveCapacity must be positive");
        if (_options.MinReconnectDelay <= TimeSpan.Zero || _options.MaxReconnectDelay < _options.MinReconnectDelay)
            throw new ArgumentOutOfRangeException(nameof(options), "reconnect delays must be positive and ordered");

        var ownAddresses = _options.MultiAddressEnabled ? _self.Addresses : [_self.Addresses[0]];
        _initialMessage = ElectionMessages.EncodeInitialMessage(
            mySid,
            ownAddresses.Select(a => FormatAddress(a.Host, a.ElectionPort)).ToArray(),
            _options.MultiAddressEnabled ? ElectionMessages.ProtocolVersionV2 : ElectionMessages.ProtocolVersionV1);
        _received = Channel.CreateBounded<(long Sid, byte[] Payload)>(new BoundedChannelOptions(_options.ReceiveCapacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });
    }

    public long MySid => _mySid;

    /// <summary>
    /// A reconfig changed the membership: new members are dialled where their lines say, departed ones are
    /// no longer dialled (connections they open are still answered, as Java answers any sid).
    /// </summary>
    public void UpdateMembers(IEnumerable<QuorumServerSpec> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var next = members.ToDictionary(m => m.Id);
        next.TryAdd(_mySid, _self);
        _members = next;
    }

    /// <summary>Every message received (and every message this server sent itself), with its sender.</summary>
    public ChannelReader<(long Sid, byte[] Payload)> Received => _received.Reader;

    /// <summary>Raised after a connection came or went, a dial or handshake ended, or frames arrived; for tests.</summary>
    internal event Action? StateChanged;

    /// <summary>Dials and accepted handshakes still under way; for tests.</summary>
    internal int PendingConnectionAttempts
    {
        get
        {
            lock (_gate) return _handshakes + _peers.Values.Count(p => p.Dialing);
        }
    }

    /// <summary>Binds the election port(s) and starts accepting; throws when a port cannot be bound.</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started) throw new InvalidOperationException("already started");
            _started = true;
        }

        var endpoints = (_options.MultiAddressEnabled ? _self.Addresses : [_self.Addresses[0]])
            .Select(a => (Host: _listenOnAllIps ? null : a.Host, Port: a.ElectionPort))
            .Distinct()
            .ToList();
        var bound = new List<(string? Host, int Port, IPeerListener Listener)>();
        try
        {
            foreach (var (host, port) in endpoints)
                bound.Add((host, port, _network.Listen(host, port)));
        }
        catch
        {
            foreach (var b in bound) _ = b.Listener.DisposeAsync();
            throw;
        }
        lock (_gate) _listeners.AddRange(bound.Select(b => b.Listener));
        foreach (var (host, port, listener) in bound)
        {
            LogListening(_mySid, host ?? "*", port);
            if (!Run(() => ListenAsync(host, port, listener))) _ = listener.DisposeAsync();
        }
    }

    /// <summary>
    /// Queues <paramref name="payload"/> for <paramref name="sid"/>, replacing anything still queued,
    /// and dials the peer if there is no connection. A message to ourselves goes straight to <see cref="Received"/>.
    /// Delivery is best effort, as in Java: a message written to a connection that then closes can be
    /// lost (a new connection repeats only the last one sent), so the caller resends until answered, as
    /// the election does.
    /// </summary>
    public void ToSend(long sid, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length is 0 or > ElectionMessages.MaxFrameLength)
            throw new ArgumentException($"payload of {payload.Length} bytes is outside 1…{ElectionMessages.MaxFrameLength}", nameof(payload));
        if (sid == _mySid)
        {
            _received.Writer.TryWrite((sid, payload));
            return;
        }
        Peer peer;
        lock (_gate)
        {
            if (_disposed) return;
            peer = GetPeer(sid);
        }
        peer.Queue.Writer.TryWrite(payload);
        ConnectOne(sid, preferred: null);
    }

    /// <summary>Dials every other member, and every peer we queued for, that has no connection yet.</summary>
    public void ConnectAll()
    {
        List<long> sids;
        lock (_gate)
        {
            if (_disposed) return;
            sids = _members.Keys.Concat(_peers.Keys).Where(s => s != _mySid).Distinct().ToList();
        }
        foreach (var sid in sids) ConnectOne(sid, preferred: null);
    }

    /// <summary>Java's <c>haveDelivered</c>: true when at least one peer's send queue is empty.</summary>
    public bool HaveDelivered()
    {
        lock (_gate)
        {
            foreach (var peer in _peers.Values)
                if (peer.Queue.Reader.Count == 0) return true;
            return false;
        }
    }

    /// <summary>Java's <c>connectedToPeer</c>.</summary>
    public bool IsConnected(long sid)
    {
        lock (_gate) return _peers.TryGetValue(sid, out var peer) && peer.Current is not null;
    }

    // ---- listening and the receiving side of the handshake -------------------------------------

    private async Task ListenAsync(string? host, int port, IPeerListener? listener)
    {
        var ct = _stopping.Token;
        int failures = 0;
        try
        {
            while (!ct.IsCancellationRequested && (_options.ListenRetries == 0 || failures < _options.ListenRetries))
            {
                try
                {
                    if (listener is null)
                    {
                        listener = _network.Listen(host, port);
                        if (!AddListener(listener)) return;
                        LogListening(_mySid, host ?? "*", port);
                    }
                    while (true)
                    {
                        var stream = await listener.AcceptAsync(ct).ConfigureAwait(false);
                        failures = 0;
                        OnAccepted(stream);
                    }
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e)
                {
                    failures++;
                    LogListenerFailed(host ?? "*", port, e.Message);
                    if (listener is not null)
                    {
                        RemoveListener(listener);
                        await DisposeQuietlyAsync(listener).ConfigureAwait(false);
                        listener = null;
                    }
                    if (_options.ListenRetries != 0 && failures >= _options.ListenRetries) break;
                    try
                    {
                        await Task.Delay(_options.ListenRetryDelay, _time, ct).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
            if (!ct.IsCancellationRequested) LogLeavingListener(host ?? "*", port, failures);
        }
        finally
        {
            if (listener is not null)
            {
                RemoveListener(listener);
                await DisposeQuietlyAsync(listener).ConfigureAwait(false);
            }
        }
    }

    private void OnAccepted(Stream stream)
    {
        bool accept;
        lock (_gate)
        {
            accept = !_disposed && _handshakes < _options.MaxPendingHandshakes;
            if (accept) _handshakes++;
        }
        if (!accept)
        {
            if (!_disposed) LogTooManyHandshakes(_options.MaxPendingHandshakes);
            stream.Dispose();
            return;
        }
        if (!Run(() => ReceiveConnectionAsync(stream)))
        {
            lock (_gate) _handshakes--;
            stream.Dispose();
        }
    }

    // Java's handleConnection: learn who dialled, then keep the connection or call back.
    private async Task ReceiveConnectionAsync(Stream stream)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, leaveOpen: true));
        bool handedOver = false;
        try
        {
            InitialMessage? init;
            using (var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token))
            {
                try
                {
                    init = await ReadInitialMessageAsync(reader, linked.Token).ConfigureAwait(false);
                }
                catch (ElectionMessageException e)
                {
                    LogBadInitialMessage(e.Message);
                    return;
                }
                catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
                {
                    return;
                }
                catch (OperationCanceledException)
                {
                    LogHandshakeTimedOut(_options.HandshakeTimeout.TotalMilliseconds);
                    return;
                }
                catch (Exception e) when (IsConnectionFault(e))
                {
                    LogHandshakeFailed(e.Message);
                    return;
                }
            }
            if (init is null)
            {
                LogClosedBeforeInitialMessage();
                return;
            }

            long sid = init.Sid;
            if (sid == ElectionMessages.ObserverSid)
            {
                // The observer gave no id; make up one that cannot clash with a server's.
                sid = Interlocked.Decrement(ref _observerCounter);
                LogObserverId(sid);
            }
            var addresses = ParseAddresses(init.ElectionAddresses);

            if (sid < _mySid)
            {
                // We own the connection to a lower sid: drop theirs (and whatever we thought we had) and call back.
                PeerConnection? stale;
                lock (_gate)
                {
                    if (_disposed) return;
                    var peer = GetPeer(sid);
                    if (addresses.Count > 0) peer.Learned = addresses;
                    stale = peer.Current;
                    peer.Current = null;
                    ResetBackoff(peer);
                }
                stale?.Close();
                LogCallingBack(_mySid, sid);
                CloseQuietly(stream, reader);
                handedOver = true;
                ConnectOne(sid, addresses.Count > 0 ? addresses : null);
            }
            else if (sid == _mySid)
            {
                LogOwnId(sid);
            }
            else
            {
                lock (_gate)
                {
                    if (addresses.Count > 0 && !_disposed) GetPeer(sid).Learned = addresses;
                }
                handedOver = true;
                Register(sid, stream, reader, dialled: false);
            }
        }
        finally
        {
            if (!handedOver) CloseQuietly(stream, reader);
            lock (_gate) _handshakes--;
            OnStateChanged();
        }
    }

    private static async Task<InitialMessage?> ReadInitialMessageAsync(PipeReader reader, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryDecodeInitialMessage(buffer, out var message, out int consumed))
            {
                reader.AdvanceTo(buffer.GetPosition(consumed));
                return message;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return null;
        }
    }

    private static bool TryDecodeInitialMessage(ReadOnlySequence<byte> buffer, out InitialMessage? message, out int consumed)
    {
        if (buffer.IsSingleSegment)
            return ElectionMessages.TryDecodeInitialMessage(buffer.FirstSpan, out message, out consumed);
        // Only the first 20 + 2048 bytes can belong to the initial message.
        var head = new byte[(int)Math.Min(buffer.Length, 20 + ElectionMessages.MaxAddressLength)];
        buffer.Slice(0, head.Length).CopyTo(head);
        return ElectionMessages.TryDecodeInitialMessage(head, out message, out consumed);
    }

    // ---- dialling ----------------------------------------------------------------------------

    private void ConnectOne(long sid, IReadOnlyList<PeerAddress>? preferred)
    {
        Peer peer;
        IReadOnlyList<PeerAddress> targets;
        lock (_gate)
        {
            if (_disposed) return;
            peer = GetPeer(sid);
            if (peer.Current is not null || peer.Dialing) return;
            long wait = peer.RetryAt - _time.GetTimestamp();
            if (wait > 0)
            {
                // Still backing off; a queued message gets its dial when the pause ends.
                ArmRetry(peer, TimeSpan.FromSeconds((double)wait / _time.TimestampFrequency));
                return;
            }
            targets = preferred ?? AddressesOf(peer);
            if (targets.Count == 0)
            {
                LogUnknownSid(sid);
                return;
            }
            peer.Dialing = true;
        }
        if (!Run(() => InitiateConnectionAsync(peer, targets)))
        {
            lock (_gate) peer.Dialing = false;
        }
    }

    // Java's initiateConnection + startConnection.
    private async Task InitiateConnectionAsync(Peer peer, IReadOnlyList<PeerAddress> targets)
    {
        var ct = _stopping.Token;
        Stream? stream = null;
        try
        {
            foreach (var target in targets)
            {
                try
                {
                    stream = await _network.ConnectAsync(target.Host, target.Port, _options.ConnectTimeout, ct).ConfigureAwait(false);
                    break;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (IsConnectionFault(e))
                {
                    LogCannotOpenChannel(peer.Sid, target.Host, target.Port, e.Message);
                }
            }
            if (stream is null)
            {
                BackOff(peer);
                return;
            }

            try
            {
                using var timeout = new CancellationTokenSource(_options.HandshakeTimeout, _time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, ct);
                await stream.WriteAsync(_initialMessage, linked.Token).ConfigureAwait(false);
                await stream.FlushAsync(linked.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException || IsConnectionFault(e))
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                if (ct.IsCancellationRequested) return;
                LogChallengeFailed(peer.Sid, e.Message);
                BackOff(peer);
                return;
            }

            if (peer.Sid > _mySid)
            {
                // The higher sid owns the connection: it calls us back when it reads our introduction.
                LogDroppingToHigherSid(_mySid, peer.Sid);
                await stream.DisposeAsync().ConfigureAwait(false);
                // A burst of sends must not turn into a burst of dials while the call back is on its way;
                // if the call back never comes, a queued message still gets a new dial after the pause.
                BackOff(peer);
                return;
            }
            Register(peer.Sid, stream, PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 4096, leaveOpen: true)), dialled: true);
        }
        finally
        {
            lock (_gate) peer.Dialing = false;
            OnStateChanged();
        }
    }

    // The peer could not be reached (or we lost the challenge): no dial before the pause ends, and one
    // dial when it does if a message waits. The pause doubles each time, up to MaxReconnectDelay.
    private void BackOff(Peer peer)
    {
        lock (_gate)
        {
            if (_disposed) return;
            peer.RetryAt = _time.GetTimestamp() + ToTimestamp(peer.Backoff);
            var delay = peer.Backoff;
            var doubled = peer.Backoff * 2;
            peer.Backoff = doubled > _options.MaxReconnectDelay ? _options.MaxReconnectDelay : doubled;
            ArmRetry(peer, delay);
        }
    }

    // Caller holds _gate.
    private void ArmRetry(Peer peer, TimeSpan delay)
    {
        if (peer.RetryTimer is not null || peer.Queue.Reader.Count == 0) return;
        peer.RetryTimer = _time.CreateTimer(static state =>
        {
            var (manager, p) = ((QuorumCnxManager, Peer))state!;
            manager.OnRetryDue(p);
        }, (this, peer), delay, Timeout.InfiniteTimeSpan);
    }

    private void OnRetryDue(Peer peer)
    {
        bool due;
        lock (_gate)
        {
            peer.RetryTimer?.Dispose();
            peer.RetryTimer = null;
            due = !_disposed && peer.Current is null && peer.Queue.Reader.Count > 0;
        }
        if (due) ConnectOne(peer.Sid, preferred: null);
    }

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * _time.TimestampFrequency);

    // Caller holds _gate.
    private void ResetBackoff(Peer peer)
    {
        peer.Backoff = _options.MinReconnectDelay;
        peer.RetryAt = 0;
        peer.RetryTimer?.Dispose();
        peer.RetryTimer = null;
    }

    // ---- established connections -------------------------------------------------------------

    private void Register(long sid, Stream stream, PipeReader reader, bool dialled)
    {
        var connection = new PeerConnection(sid, stream, reader);
        PeerConnection? replaced = null;
        Peer? peer = null;
        lock (_gate)
        {
            if (!_disposed)
            {
                peer = GetPeer(sid);
                replaced = peer.Current;
                peer.Current = connection;
                ResetBackoff(peer);
            }
        }
        if (peer is null)
        {
            CloseQuietly(stream, reader);
            return;
        }
        replaced?.Close();
        LogConnected(_mySid, sid, dialled ? "dialled" : "accepted", replaced is not null);
        if (!Run(() => SendLoopAsync(peer, connection))) connection.Close();
        if (!Run(() => ReceiveLoopAsync(peer, connection))) connection.Close();
        OnStateChanged();
    }

    // Java's SendWorker.
    private async Task SendLoopAsync(Peer peer, PeerConnection connection)
    {
        var ct = connection.Token;
        byte[]? inFlight = null;
        try
        {
            byte[]? repeat;
            lock (_gate) repeat = peer.Queue.Reader.Count == 0 ? peer.LastSent : null;
            // The peer may have lost our last message with the old connection; saying it twice is harmless.
            if (repeat is not null) await WriteFrameAsync(connection, repeat, ct).ConfigureAwait(false);
            while (true)
            {
                inFlight = await peer.Queue.Reader.ReadAsync(ct).ConfigureAwait(false);
                lock (_gate)
                {
                    if (peer.Current != connection) break;
                    peer.LastSent = inFlight;
                }
                await WriteFrameAsync(connection, inFlight, ct).ConfigureAwait(false);
                inFlight = null;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
        catch (Exception e) when (IsConnectionFault(e))
        {
            if (!connection.IsClosed) LogSendFailed(peer.Sid, _mySid, e.Message);
        }
        finally
        {
            // As Java's SendWorker: a message that did not make it goes back on the queue unless a newer one waits.
            if (inFlight is not null)
            {
                lock (_gate)
                {
                    if (peer.Queue.Reader.Count == 0) peer.Queue.Writer.TryWrite(inFlight);
                }
            }
            Detach(peer, connection);
        }
    }

    private static async Task WriteFrameAsync(PeerConnection connection, byte[] payload, CancellationToken ct)
    {
        var frame = ElectionMessages.EncodeFrame(payload);
        await connection.Stream.WriteAsync(frame, ct).ConfigureAwait(false);
        await connection.Stream.FlushAsync(ct).ConfigureAwait(false);
    }

    // Java's RecvWorker.
    private async Task ReceiveLoopAsync(Peer peer, PeerConnection connection)
    {
        var reader = connection.Reader;
        var ct = connection.Token;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = result.Buffer;
                int delivered = 0;
                try
                {
                    while (ElectionMessages.TryReadFrame(ref buffer, out var payload))
                    {
                        _received.Writer.TryWrite((peer.Sid, payload.ToArray()));
                        delivered++;
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
                if (delivered > 0) OnStateChanged();
                if (result.IsCompleted)
                {
                    if (!connection.IsClosed) LogClosedByPeer(peer.Sid, _mySid);
                    return;
                }
            }
        }
        catch (ElectionMessageException e)
        {
            LogBadFrame(peer.Sid, _mySid, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (IsConnectionFault(e))
        {
            if (!connection.IsClosed) LogConnectionBroken(peer.Sid, _mySid, e.Message);
        }
        finally
        {
            Detach(peer, connection);
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Detach(Peer peer, PeerConnection connection)
    {
        connection.Close();
        bool changed;
        lock (_gate)
        {
            changed = peer.Current == connection;
            if (changed)
            {
                peer.Current = null;
                if (peer.Sid > _mySid && !_disposed)
                {
                    // The higher sid owns this link and usually hangs up only to dial again (it heard from us
                    // on a second connection). Dialling it at once would make it hang up once more, so give
                    // its call a moment; a queued message still gets a dial if the call does not come.
                    peer.RetryAt = Math.Max(peer.RetryAt, _time.GetTimestamp() + ToTimestamp(_options.MinReconnectDelay));
                    ArmRetry(peer, _options.MinReconnectDelay);
                }
            }
        }
        if (changed) OnStateChanged();
    }

    // ---- helpers -----------------------------------------------------------------------------

    // Caller holds _gate.
    private Peer GetPeer(long sid)
    {
        if (!_peers.TryGetValue(sid, out var peer))
        {
            peer = new Peer(sid, _options.MinReconnectDelay);
            _peers.Add(sid, peer);
        }
        return peer;
    }

    // Caller holds _gate. The configured addresses win; a peer outside the config is reached where it said it listens.
    private IReadOnlyList<PeerAddress> AddressesOf(Peer peer)
    {
        if (_members.TryGetValue(peer.Sid, out var spec))
            return spec.Addresses.Select(a => new PeerAddress(a.Host, a.ElectionPort)).ToArray();
        return peer.Learned ?? [];
    }

    private static List<PeerAddress> ParseAddresses(IReadOnlyList<string> addresses)
    {
        var parsed = new List<PeerAddress>(addresses.Count);
        foreach (var address in addresses)
        {
            string host;
            string port;
            if (address.StartsWith('['))
            {
                int close = address.IndexOf(']');
                host = address[1..close];
                port = address[(close + 2)..];
            }
            else
            {
                int colon = address.IndexOf(':');
                host = address[..colon];
                port = address[(colon + 1)..];
            }
            port = port.TrimEnd(':');
            // A wildcard says nothing about where to call back (Java drops it too).
            if (IPAddress.TryParse(host, out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))) continue;
            if (int.TryParse(port, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int p) && p is > 0 and <= 65535)
                parsed.Add(new PeerAddress(host, p));
        }
        return parsed;
    }

    private static string FormatAddress(string host, int port) =>
        (host.Contains(':') && !host.StartsWith('[') ? "[" + host + "]" : host) + ":" + port.ToString(CultureInfo.InvariantCulture);

    private static bool IsConnectionFault(Exception e) =>
        e is IOException or SocketException or ObjectDisposedException or InvalidOperationException;

    private bool AddListener(IPeerListener listener)
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _listeners.Add(listener);
                return true;
            }
        }
        _ = DisposeQuietlyAsync(listener);
        return false;
    }

    private void RemoveListener(IPeerListener listener)
    {
        lock (_gate) _listeners.Remove(listener);
    }

    private static async ValueTask DisposeQuietlyAsync(IAsyncDisposable disposable)
    {
        try
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (IsConnectionFault(e))
        {
            // Closing a broken endpoint may complain; it is closed either way.
        }
    }

    private static void CloseQuietly(Stream stream, PipeReader reader)
    {
        try
        {
            reader.Complete();
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            stream.Dispose();
        }
        catch (Exception e) when (IsConnectionFault(e))
        {
        }
    }

    private void OnStateChanged() => StateChanged?.Invoke();

    // Every background task goes through here, so DisposeAsync can wait for all of them.
    private bool Run(Func<Task> work)
    {
        lock (_gate)
        {
            if (_disposed) return false;
            _running++;
        }
        _ = RunTrackedAsync(work);
        return true;
    }

    private async Task RunTrackedAsync(Func<Task> work)
    {
        try
        {
            await Task.Yield();
            await work().ConfigureAwait(false);
        }
        catch (Exception e)
        {
            LogUnexpected(e);
        }
        finally
        {
            bool last;
            lock (_gate) last = --_running == 0 && _disposed;
            if (last) _idle.TrySetResult();
        }
    }

    /// <summary>Stops listening, closes every connection and waits for every background task to end.</summary>
    public async ValueTask DisposeAsync()
    {
        List<IPeerListener> listeners;
        List<PeerConnection> connections = new();
        bool idle;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            listeners = _listeners.ToList();
            _listeners.Clear();
            foreach (var peer in _peers.Values)
            {
                if (peer.Current is { } c) connections.Add(c);
                peer.Current = null;
                peer.RetryTimer?.Dispose();
                peer.RetryTimer = null;
                peer.Queue.Writer.TryComplete();
            }
            idle = _running == 0;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var listener in listeners) await DisposeQuietlyAsync(listener).ConfigureAwait(false);
        foreach (var connection in connections) connection.Close();
        _received.Writer.TryComplete();
        if (!idle) await _idle.Task.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private readonly record struct PeerAddress(string Host, int Port);

    /// <summary>What we keep per remote sid across its connections (Java's queueSendMap/lastMessageSent entries).</summary>
    private sealed class Peer(long sid, TimeSpan initialBackoff)
    {
        public long Sid { get; } = sid;

        /// <summary>Capacity one, newest wins: a stale notification is worse than none.</summary>
        public Channel<byte[]> Queue { get; } = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
        });

        public byte[]? LastSent { get; set; }
        public PeerConnection? Current { get; set; }
        public bool Dialing { get; set; }
        public IReadOnlyList<PeerAddress>? Learned { get; set; }
        public long RetryAt { get; set; }
        public TimeSpan Backoff { get; set; } = initialBackoff;
        public ITimer? RetryTimer { get; set; }
    }

    /// <summary>One live connection; closing it stops both of its loops.</summary>
    private sealed class PeerConnection(long sid, Stream stream, PipeReader reader)
    {
        private readonly CancellationTokenSource _closing = new();
        private int _closed;

        public long Sid { get; } = sid;
        public Stream Stream { get; } = stream;
        public PipeReader Reader { get; } = reader;
        public CancellationToken Token => _closing.Token;
        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0) return;
            try
            {
                _closing.Cancel();
            }
            catch (AggregateException)
            {
                // A callback failed while unblocking a read or write; the connection is going anyway.
            }
            try
            {
                Stream.Dispose();
            }
            catch (Exception e) when (IsConnectionFault(e))
            {
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{MySid} is accepting connections now, my election bind port: {Host}:{Port}")]
    private partial void LogListening(long mySid, string host, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "Exception while listening to address {Host}:{Port}: {Reason}")]
    private partial void LogListenerFailed(string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Leaving listener thread for address {Host}:{Port} after {Failures} errors; this server can no longer take part in leader election. Use zookeeper.electionPortBindRetry to retry more often.")]
    private partial void LogLeavingListener(string host, int port, int failures);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing an election connection: {Max} handshakes are already under way")]
    private partial void LogTooManyHandshakes(int max);

    [LoggerMessage(Level = LogLevel.Error, Message = "Initial message parsing error: {Reason}")]
    private partial void LogBadInitialMessage(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No initial message within {TimeoutMs} ms, closing the election connection")]
    private partial void LogHandshakeTimedOut(double timeoutMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Exception reading or writing challenge: {Reason}")]
    private partial void LogHandshakeFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Election connection closed before its initial message")]
    private partial void LogClosedBeforeInitialMessage();

    [LoggerMessage(Level = LogLevel.Information, Message = "Setting arbitrary identifier to observer: {Sid}")]
    private partial void LogObserverId(long sid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Have larger server identifier, dropping the connection from sid {Sid} and calling back (myId: {MySid})")]
    private partial void LogCallingBack(long mySid, long sid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "We got a connection request from a server with our own ID ({Sid}). This should be either a configuration error, or a bug.")]
    private partial void LogOwnId(long sid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Invalid server id: {Sid}")]
    private partial void LogUnknownSid(long sid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot open channel to {Sid} at election address {Host}:{Port}: {Reason}")]
    private partial void LogCannotOpenChannel(long sid, string host, int port, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignoring exception writing challenge to {Sid}: {Reason}")]
    private partial void LogChallengeFailed(long sid, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Have smaller server identifier, so dropping the connection: (myId:{MySid} --> sid:{Sid})")]
    private partial void LogDroppingToHigherSid(long mySid, long sid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Election connection {MySid} <-> {Sid} established ({How}; replaced an older one: {Replaced})")]
    private partial void LogConnected(long mySid, long sid, string how, bool replaced);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Exception when using channel: for id {Sid} my id = {MySid}: {Reason}")]
    private partial void LogSendFailed(long sid, long mySid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Connection broken for id {Sid}, my id = {MySid}: {Reason}")]
    private partial void LogConnectionBroken(long sid, long mySid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Closing the connection with id {Sid}, my id = {MySid}: {Reason}")]
    private partial void LogBadFrame(long sid, long mySid, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connection closed by id {Sid}, my id = {MySid}")]
    private partial void LogClosedByPeer(long sid, long mySid);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure in the election connection manager")]
    private partial void LogUnexpected(Exception e);
}
