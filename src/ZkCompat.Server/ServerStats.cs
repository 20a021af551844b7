namespace ZkCompat.Server;

/// <summary>Server-wide request statistics for stat/srvr/mntr (Java's <c>ServerStats</c>).</summary>
public sealed class ServerStats
{
    private long _packetsReceived;
    private long _packetsSent;
    private long _totalLatency;
    private long _count;
    private long _minLatency = long.MaxValue;
    private long _maxLatency;

    public long PacketsReceived => Interlocked.Read(ref _packetsReceived);
    public long PacketsSent => Interlocked.Read(ref _packetsSent);
    public long MinLatency => Interlocked.Read(ref _minLatency) == long.MaxValue ? 0 : Interlocked.Read(ref _minLatency);
    public long MaxLatency => Interlocked.Read(ref _maxLatency);
    public double AvgLatency
    {
        get
        {
            long count = Interlocked.Read(ref _count);
            return count == 0 ? 0 : (double)Interlocked.Read(ref _totalLatency) / count;
        }
    }

    public void IncrementPacketsReceived() => Interlocked.Increment(ref _packetsReceived);

    public void IncrementPacketsSent() => Interlocked.Increment(ref _packetsSent);

    public void UpdateLatency(long latencyMs)
    {
        Interlocked.Add(ref _totalLatency, latencyMs);
        Interlocked.Increment(ref _count);
        long min;
        while (latencyMs < (min = Interlocked.Read(ref _minLatency)) && Interlocked.CompareExchange(ref _minLatency, latencyMs, min) != min) { }
        long max;
        while (latencyMs > (max = Interlocked.Read(ref _maxLatency)) && Interlocked.CompareExchange(ref _maxLatency, latencyMs, max) != max) { }
    }

    public void Reset()
    {
        Interlocked.Exchange(ref _packetsReceived, 0);
        Interlocked.Exchange(ref _packetsSent, 0);
        Interlocked.Exchange(ref _totalLatency, 0);
        Interlocked.Exchange(ref _count, 0);
        Interlocked.Exchange(ref _minLatency, long.MaxValue);
        Interlocked.Exchange(ref _maxLatency, 0);
    }
}
