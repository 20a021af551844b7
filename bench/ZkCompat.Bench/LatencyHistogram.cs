using System.Numerics;

namespace ZkCompat.Bench;

/// <summary>
/// A log-linear latency histogram in microseconds, in the spirit of HdrHistogram: exact below 256 µs,
/// then 128 buckets per power of two (under 0.8% relative error), so memory stays fixed however
/// many samples arrive. Recording is lock-free, so every worker of a run can share one.
/// </summary>
public sealed class LatencyHistogram
{
    private const int LinearLimit = 256;
    private const int SubBuckets = 128;
    private const int SubBits = 7;
    private const int MaxShift = 40;

    private readonly long[] _counts = new long[LinearLimit + MaxShift * SubBuckets];
    private long _total;
    private long _max;

    public long Count => Interlocked.Read(ref _total);

    public long MaxMicros => Interlocked.Read(ref _max);

    public void Record(long micros)
    {
        if (micros < 0) micros = 0;
        Interlocked.Increment(ref _counts[IndexOf(micros)]);
        Interlocked.Increment(ref _total);
        long seen = Interlocked.Read(ref _max);
        while (micros > seen)
        {
            long prior = Interlocked.CompareExchange(ref _max, micros, seen);
            if (prior == seen) break;
            seen = prior;
        }
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1), in µs; 0 when empty.</summary>
    public long ValueAtQuantile(double q)
    {
        long total = Count;
        if (total == 0) return 0;
        // The rank of the sample that covers q (1-based), as HdrHistogram counts it.
        long rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank) return Math.Min(Representative(i), MaxMicros);
        }
        return MaxMicros;
    }

    internal static int IndexOf(long micros)
    {
        if (micros < LinearLimit) return (int)micros;
        int shift = 63 - BitOperations.LeadingZeroCount((ulong)micros) - SubBits;
        if (shift > MaxShift) return LinearLimit + MaxShift * SubBuckets - 1;
        long mantissa = micros >> shift; // in [128, 256)
        return LinearLimit + (shift - 1) * SubBuckets + (int)(mantissa - SubBuckets);
    }

    /// <summary>The middle of bucket <paramref name="index"/>.</summary>
    internal static long Representative(int index)
    {
        if (index < LinearLimit) return index;
        int shift = (index - LinearLimit) / SubBuckets + 1;
        long mantissa = (index - LinearLimit) % SubBuckets + SubBuckets;
        return (mantissa << shift) + (1L << (shift - 1));
    }
}
