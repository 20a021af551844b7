using ZkCompat.Server.Processors;

namespace ZkCompat.Server.Network;

/// <summary>Per-connection counters for the cons, stat and dump four-letter words (Java's <c>ServerCnxn</c> stats).</summary>
public sealed class ConnectionStats(TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _packetsReceived;
    private long _packetsSent;
    private int _outstanding;
    private long _minLatency = long.MaxValue;
    private long _maxLatency;
    private long _totalLatency;
    private long _count;
    private long _lastTouchedMs = MonotonicMs(time);
    private string _lastOp = "NA";
    private long _lastCxid = -1;
    private long _lastZxid = -1;
    private long _lastResponseTime;
    private long _lastLatency;

    /// <summary>When the connection was accepted (cons prints it as epoch ms, <c>est=</c>).</summary>
    public DateTimeOffset Established { get; } = time.GetUtcNow();

    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);
    public long PacketsSent => Interlocked.Read(ref _packetsSent);
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>The four-letter word this connection carries, if it is one; such a connection is no longer read (interest ops 0).</summary>
    public string? FourLetterWord { get; set; }

    /// <summary>
    /// Set once the word's answer is out: the connection is closing. Java drops such a connection from
    /// its list before the client sees the close, so a word sent right after another must not list it.
    /// </summary>
    public bool FourLetterWordDone { get; set; }

    /// <summary>Monotonic ms of the last packet either way: where the connection sits in Java's connection expiry queue.</summary>
    public long LastTouchedMs => Interlocked.Read(ref _lastTouchedMs);

    public string LastOp
    {
        get { lock (_lock) return _lastOp; }
    }

    public long LastCxid
    {
        get { lock (_lock) return _lastCxid; }
    }

    public long LastZxid
    {
        get { lock (_lock) return _lastZxid; }
    }

    /// <summary>Monotonic ms of the last reply (Java prints its elapsed-time clock, <c>lresp=</c>); 0 before any.</summary>
    public long LastResponseTime
    {
        get { lock (_lock) return _lastResponseTime; }
    }

    public long LastLatency
    {
        get { lock (_lock) return _lastLatency; }
    }

    public long MinLatency
    {
        get { lock (_lock) return _minLatency == long.MaxValue ? 0 : _minLatency; }
    }

    public long MaxLatency
    {
        get { lock (_lock) return _maxLatency; }
    }

    /// <summary>Integer division, as Java's per-connection average.</summary>
    public long AvgLatency
    {
        get { lock (_lock) return _count == 0 ? 0 : _totalLatency / _count; }
    }

    public void PacketReceived()
    {
        Interlocked.Increment(ref _packetsReceived);
        Touch();
    }

    public void PacketSent()
    {
        Interlocked.Increment(ref _packetsSent);
        Touch();
    }

    public void RequestStarted() => Interlocked.Increment(ref _outstanding);

    public void RequestFinished(Request request, string lastOp, long lastZxid, ServerStats server)
    {
        if (request.CreateTimestamp != 0) Interlocked.Decrement(ref _outstanding);
        long latency = request.CreateTimestamp == 0 ? 0 : (long)time.GetElapsedTime(request.CreateTimestamp).TotalMilliseconds;
        lock (_lock)
        {
            // Pings and other special xids are negative: keep the client's last real operation.
            if (request.Cxid >= 0) _lastCxid = request.Cxid;
            _lastOp = lastOp;
            _lastZxid = lastZxid;
            _lastResponseTime = MonotonicMs(time);
            _lastLatency = latency;
            _minLatency = Math.Min(_minLatency, latency);
            _maxLatency = Math.Max(_maxLatency, latency);
            _totalLatency += latency;
            _count++;
        }
        server.UpdateLatency(latency);
        // Java's ServerStats.updateLatency: reads and writes feed separate summaries.
        Metrics.ServerMetrics.RecordRequestLatency(request.IsTxn, latency);
    }

    /// <summary>crst: everything but the outstanding count, as Java's <c>resetStats</c>.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _packetsReceived, 0);
            Interlocked.Exchange(ref _packetsSent, 0);
            _minLatency = long.MaxValue;
            _maxLatency = 0;
            _totalLatency = 0;
            _count = 0;
            _lastOp = "NA";
            _lastCxid = -1;
            _lastZxid = -1;
            _lastResponseTime = 0;
            _lastLatency = 0;
        }
    }

    /// <summary>The TimeProvider's monotonic clock in ms (Java's <c>Time.currentElapsedTime</c>).</summary>
    public static long MonotonicMs(TimeProvider time)
    {
        long ticks = time.GetTimestamp();
        long frequency = time.TimestampFrequency;
        return ticks / frequency * 1000 + ticks % frequency * 1000 / frequency;
    }

    private void Touch() => Interlocked.Exchange(ref _lastTouchedMs, MonotonicMs(time));
}
