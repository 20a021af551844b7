using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum.Transport;

/// <summary>
/// A network in one process for whole-ensemble tests, generic over <c>host:port</c> endpoints (the
/// election port, the quorum port, anything). Each server gets its own <see cref="IPeerNetwork"/> from
/// <see cref="ViewFor"/>, so the network knows which node dials and which listens, and can fail them:
/// <see cref="Partition(string, string)"/> breaks and refuses connections between two nodes,
/// <see cref="Crash"/> takes a node off the network, <see cref="DropRate"/> refuses a share of new
/// connections (seeded). A connection is a pair of <see cref="Pipe"/>s seen as a stream at each end;
/// closing one end is a FIN to the other (reads end, writes fail), a fault breaks both ends with
/// <see cref="IOException"/>. Thread-safe.
/// </summary>
public sealed class InMemoryPeerNetwork
{
    private readonly Lock _gate = new();
    private readonly Random _random;
    private readonly Dictionary<string, string[]> _hostsOf = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Host, int Port), Listener> _exact = new();
    private readonly Dictionary<(string Node, int Port), Listener> _wildcard = new();
    private readonly HashSet<(string, string)> _partitions = new();
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly List<Connection> _connections = new();
    private readonly Dictionary<(string From, string Host, int Port), int> _attempts = new();

    public InMemoryPeerNetwork(int seed = 0) => _random = new Random(seed);

    /// <summary>Share (0…1) of new connections refused at random.</summary>
    public double DropRate { get; set; }

    /// <summary>Raised after any connection, listener or fault change; handlers must be quick and must not block.</summary>
    public event Action? Changed;

    /// <summary>
    /// The network as <paramref name="node"/> sees it. A listener it opens on "any" address answers at
    /// each of <paramref name="hosts"/> (the node's name when none are given); a listener on a named host
    /// answers only there.
    /// </summary>
    public IPeerNetwork ViewFor(string node, params string[] hosts)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        lock (_gate) _hostsOf[node] = hosts.Length > 0 ? hosts : [node];
        return new View(this, node);
    }

    /// <summary>Breaks every connection between <paramref name="a"/> and <paramref name="b"/> and refuses new ones until healed.</summary>
    public void Partition(string a, string b)
    {
        lock (_gate) _partitions.Add(Pair(a, b));
        BreakWhere(c => Pair(c.Dialer, c.Acceptor) == Pair(a, b), $"network partition between {a} and {b}");
    }

    /// <summary>Partitions every node of <paramref name="side"/> from every node of <paramref name="otherSide"/>.</summary>
    public void Partition(IEnumerable<string> side, IEnumerable<string> otherSide)
    {
        var others = otherSide.ToList();
        foreach (var a in side)
            foreach (var b in others)
                Partition(a, b);
    }

    public void Heal(string a, string b)
    {
        lock (_gate) _partitions.Remove(Pair(a, b));
        RaiseChanged();
    }

    public void HealAll()
    {
        lock (_gate) _partitions.Clear();
        RaiseChanged();
    }

    /// <summary>The node drops off: its listeners close, its connections break, it can neither listen nor dial until <see cref="Restart"/>.</summary>
    public void Crash(string node)
    {
        List<Listener> listeners;
        lock (_gate)
        {
            _down.Add(node);
            listeners = _exact.Values.Concat(_wildcard.Values).Where(l => l.Node == node).ToList();
        }
        foreach (var listener in listeners) listener.Stop();
        BreakWhere(c => c.Dialer == node || c.Acceptor == node, $"{node} crashed");
    }

    public void Restart(string node)
    {
        lock (_gate) _down.Remove(node);
        RaiseChanged();
    }

    /// <summary>Connections between the two nodes (either direction) that neither end has closed and no fault broke.</summary>
    public int OpenConnections(string a, string b)
    {
        lock (_gate)
        {
            _connections.RemoveAll(c => !c.IsOpen);
            return _connections.Count(c => Pair(c.Dialer, c.Acceptor) == Pair(a, b));
        }
    }

    /// <summary>How often <paramref name="from"/> tried to reach <paramref name="host"/>:<paramref name="port"/>.</summary>
    public int ConnectAttempts(string from, string host, int port)
    {
        lock (_gate) return _attempts.GetValueOrDefault((from, host, port));
    }

    private static (string, string) Pair(string a, string b) => string.CompareOrdinal(a, b) <= 0 ? (a, b) : (b, a);

    private void BreakWhere(Func<Connection, bool> which, string reason)
    {
        List<Connection> broken;
        lock (_gate)
        {
            broken = _connections.Where(which).ToList();
            _connections.RemoveAll(c => broken.Contains(c));
        }
        foreach (var connection in broken) connection.Break(new IOException(reason));
        RaiseChanged();
    }

    internal void RaiseChanged() => Changed?.Invoke();

    private ValueTask<Stream> Connect(string from, string host, int port)
    {
        try
        {
            return TryConnect(from, host, port);
        }
        finally
        {
            // Refused attempts count as changes too: tests wait for them.
            RaiseChanged();
        }
    }

    private ValueTask<Stream> TryConnect(string from, string host, int port)
    {
        Stream dialerEnd;
        lock (_gate)
        {
            _attempts[(from, host, port)] = _attempts.GetValueOrDefault((from, host, port)) + 1;
            if (_down.Contains(from))
                return Refuse($"{from} is down");
            var listener = Find(host, port);
            if (listener is null)
                return Refuse($"connection refused: nothing listens on {host}:{port}");
            if (_down.Contains(listener.Node) || _partitions.Contains(Pair(from, listener.Node)))
                return Refuse($"{host}:{port} is unreachable from {from}");
            if (DropRate > 0 && _random.NextDouble() < DropRate)
                return Refuse($"connection to {host}:{port} dropped");
            var connection = new Connection(this, from, listener.Node);
            if (!listener.Offer(connection.AcceptorEnd))
                return Refuse($"connection refused: backlog of {host}:{port} is full");
            _connections.Add(connection);
            dialerEnd = connection.DialerEnd;
        }
        return ValueTask.FromResult(dialerEnd);
    }

    private static ValueTask<Stream> Refuse(string why) => ValueTask.FromException<Stream>(new IOException(why));

    // Caller holds _gate.
    private Listener? Find(string host, int port)
    {
        if (_exact.TryGetValue((host, port), out var exact)) return exact;
        foreach (var ((node, p), listener) in _wildcard)
            if (p == port && _hostsOf[node].Contains(host, StringComparer.Ordinal)) return listener;
        return null;
    }

    private Listener Listen(string node, string? host, int port)
    {
        bool any = string.IsNullOrEmpty(host) || host is "0.0.0.0" or "::" or "[::]";
        Listener listener;
        lock (_gate)
        {
            if (_down.Contains(node)) throw new IOException($"{node} is down");
            var answersAt = any ? _hostsOf[node] : [host!];
            foreach (var h in answersAt)
                if (Find(h, port) is not null) throw new IOException($"address already in use: {h}:{port}");
            if (any && _wildcard.ContainsKey((node, port))) throw new IOException($"address already in use: *:{port}");
            listener = new Listener(this, node, any ? null : host, port);
            if (any) _wildcard[(node, port)] = listener;
            else _exact[(host!, port)] = listener;
        }
        RaiseChanged();
        return listener;
    }

    private void Unregister(Listener listener)
    {
        lock (_gate)
        {
            if (listener.Host is null) _wildcard.Remove((listener.Node, listener.Port), out _);
            else if (_exact.TryGetValue((listener.Host, listener.Port), out var l) && l == listener) _exact.Remove((listener.Host, listener.Port));
        }
        RaiseChanged();
    }

    private sealed class View(InMemoryPeerNetwork network, string node) : IPeerNetwork
    {
        public ValueTask<Stream> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken ct)
        {
            if (ct.IsCancellationRequested) return ValueTask.FromCanceled<Stream>(ct);
            return network.Connect(node, host, port);
        }

        public IPeerListener Listen(string? host, int port) => network.Listen(node, host, port);
    }

    private sealed class Listener(InMemoryPeerNetwork network, string node, string? host, int port) : IPeerListener
    {
        private readonly Channel<Stream> _backlog = Channel.CreateBounded<Stream>(50);

        public string Node { get; } = node;
        public string? Host { get; } = host;
        public int Port { get; } = port;

        // Caller holds the network's gate.
        public bool Offer(Stream acceptorEnd) => _backlog.Writer.TryWrite(acceptorEnd);

        public async ValueTask<Stream> AcceptAsync(CancellationToken ct)
        {
            try
            {
                return await _backlog.Reader.ReadAsync(ct).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException($"listener {Host ?? "*"}:{Port} of {Node}");
            }
        }

        public void Stop()
        {
            if (!_backlog.Writer.TryComplete()) return;
            network.Unregister(this);
            // Connections nobody accepted are reset, as a closing socket does.
            while (_backlog.Reader.TryRead(out var pending)) pending.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Stop();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Two pipes, one per direction, and the state both ends look at.</summary>
    private sealed class Connection
    {
        private readonly InMemoryPeerNetwork _network;
        private readonly Pipe _toAcceptor = new(new PipeOptions(useSynchronizationContext: false));
        private readonly Pipe _toDialer = new(new PipeOptions(useSynchronizationContext: false));
        private IOException? _fault;

        public Connection(InMemoryPeerNetwork network, string dialer, string acceptor)
        {
            _network = network;
            Dialer = dialer;
            Acceptor = acceptor;
            DialerEnd = new End(this, _toDialer.Reader, _toAcceptor.Writer);
            AcceptorEnd = new End(this, _toAcceptor.Reader, _toDialer.Writer);
            DialerEnd.Other = AcceptorEnd;
            AcceptorEnd.Other = DialerEnd;
        }

        public string Dialer { get; }
        public string Acceptor { get; }
        public End DialerEnd { get; }
        public End AcceptorEnd { get; }
        public IOException? Fault => Volatile.Read(ref _fault);
        public bool IsOpen => Fault is null && !DialerEnd.IsClosed && !AcceptorEnd.IsClosed;

        public void Break(IOException fault)
        {
            Interlocked.CompareExchange(ref _fault, fault, null);
            WakeAll();
        }

        public void OnEndClosed()
        {
            WakeAll();
            _network.RaiseChanged();
        }

        // Pending reads and flushes return (cancelled) and look at the flags again; thread-safe by design.
        private void WakeAll()
        {
            _toAcceptor.Reader.CancelPendingRead();
            _toDialer.Reader.CancelPendingRead();
            _toAcceptor.Writer.CancelPendingFlush();
            _toDialer.Writer.CancelPendingFlush();
        }
    }

    /// <summary>One end of a connection: reads what the other end wrote, writes what it will read.</summary>
    private sealed class End(Connection connection, PipeReader input, PipeWriter output) : Stream
    {
        private int _closed;

        public End Other { get; set; } = null!;
        public bool IsClosed => Volatile.Read(ref _closed) != 0;

        public override bool CanRead => true;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            while (true)
            {
                ThrowIfUnusable();
                if (buffer.Length == 0) return 0;
                if (!input.TryRead(out var result))
                {
                    // What the other end wrote before closing is still delivered; then end of stream.
                    if (Other.IsClosed) return 0;
                    result = await input.ReadAsync(ct).ConfigureAwait(false);
                }
                var data = result.Buffer;
                if (!data.IsEmpty && !IsClosed && connection.Fault is null)
                {
                    int n = (int)Math.Min(data.Length, buffer.Length);
                    data.Slice(0, n).CopyTo(buffer.Span);
                    input.AdvanceTo(data.GetPosition(n));
                    return n;
                }
                input.AdvanceTo(data.Start, data.End);
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
        {
            ThrowIfUnusable();
            if (Other.IsClosed) throw new IOException("connection reset by peer");
            var flush = await output.WriteAsync(buffer, ct).ConfigureAwait(false);
            if (flush.IsCanceled)
            {
                ThrowIfUnusable();
                throw new IOException("connection reset by peer");
            }
        }

        private void ThrowIfUnusable()
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            if (connection.Fault is { } fault) throw new IOException(fault.Message, fault);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
            WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken ct) => Task.CompletedTask;

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0) connection.OnEndClosed();
            base.Dispose(disposing);
        }
    }
}
