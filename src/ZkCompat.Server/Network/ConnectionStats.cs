using ZkCompat.Server.Processors;

namespace ZkCompat.Server.Network;

/// <summary>Per-connection counters for the cons four-letter word (Java's <c>ServerCnxn</c> stats).</summary>
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

    public DateTimeOffset Established { get; private set; } = time.GetUtcNow();
    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);
    public long PacketsSent => Interlocked.Read(ref _packetsSent);
    public int Outstanding => Volatile.Read(ref _outstanding);
    public string LastOp { get; private set; } = "NA";
    public long LastCxid { get; private set; } = -1;
    public long LastZxid { get; private set; } = -1;
    public DateTimeOffset? LastResponseTime { get; private set; }
    public long LastLatency { get; private set; }

    public long MinLatency
    {
        get { lock (_lock) return _minLatency == long.MaxValue ? 0 : _minLatency; }
    }

    public long MaxLatency
    {
        get { lock (_lock) return _maxLatency; }
    }

    public long AvgLatency
    {
        get { lock (_lock) return _count == 0 ? 0 : _totalLatency / _count; }
    }

    public void PacketReceived() => Interlocked.Increment(ref _packetsReceived);

    public void PacketSent() => Interlocked.Increment(ref _packetsSent);

    public void RequestStarted() => Interlocked.Increment(ref _outstanding);

    public void RequestFinished(Request request, string lastOp, long lastZxid, ServerStats server)
    {
        if (request.CreateTimestamp != 0) Interlocked.Decrement(ref _outstanding);
        long latency = request.CreateTimestamp == 0 ? 0 : (long)time.GetElapsedTime(request.CreateTimestamp).TotalMilliseconds;
        lock (_lock)
        {
            LastOp = lastOp;
            LastCxid = request.Cxid;
            LastZxid = lastZxid;
            LastResponseTime = time.GetUtcNow();
            LastLatency = latency;
            _minLatency = Math.Min(_minLatency, latency);
            _maxLatency = Math.Max(_maxLatency, latency);
            _totalLatency += latency;
            _count++;
        }
        server.UpdateLatency(latency);
    }

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
            LastOp = "NA";
            LastCxid = -1;
            LastZxid = -1;
            LastResponseTime = null;
            LastLatency = 0;
        }
    }
}
