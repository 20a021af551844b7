using System.Globalization;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// Java's AvgMinMaxPercentileCounter (or AvgMinMaxCounter without percentiles): count, sum, min, max and percentiles over a uniform sample of at
/// most 4096 values (Dropwizard's uniform reservoir, Vitter's algorithm R), printed as mntr prints it.
/// Thread-safe; Add is cheap enough for a per-packet call.
/// </summary>
public sealed class PercentileSummary(string name, bool percentiles = true)
{
    private const int ReservoirSize = 4096;
    private readonly object _sync = new();
    private readonly long[] _reservoir = new long[ReservoirSize];
    private long _count, _sum, _min = long.MaxValue, _max = long.MinValue;

    public string Name { get; } = name;

    public void Add(long value)
    {
        lock (_sync)
        {
            long n = ++_count;
            _sum += value;
            if (value < _min) _min = value;
            if (value > _max) _max = value;
            if (n <= ReservoirSize) _reservoir[n - 1] = value;
            else
            {
                long slot = Random.Shared.NextInt64(n);
                if (slot < ReservoirSize) _reservoir[slot] = value;
            }
        }
    }

    /// <summary>avg_, min_, max_, cnt_, sum_, p50_, p95_, p99_, p999_ + name, as Java's values() map.</summary>
    public IEnumerable<KeyValuePair<string, string>> Values()
    {
        long count, sum, min, max;
        long[] sample;
        lock (_sync)
        {
            count = _count;
            sum = _sum;
            min = count == 0 ? 0 : _min;
            max = count == 0 ? 0 : _max;
            sample = _reservoir.AsSpan(0, (int)Math.Min(count, ReservoirSize)).ToArray();
        }
        Array.Sort(sample);
        static string L(long v) => v.ToString(CultureInfo.InvariantCulture);
        yield return new("avg_" + Name, JavaFormat.Double(count == 0 ? 0.0 : (double)sum / count));
        yield return new("min_" + Name, L(min));
        yield return new("max_" + Name, L(max));
        yield return new("cnt_" + Name, L(count));
        yield return new("sum_" + Name, L(sum));
        // DetailLevel.BASIC summaries (AvgMinMaxCounter) stop here.
        if (!percentiles) yield break;
        yield return new("p50_" + Name, L(Quantile(sample, 0.5)));
        yield return new("p95_" + Name, L(Quantile(sample, 0.95)));
        yield return new("p99_" + Name, L(Quantile(sample, 0.99)));
        yield return new("p999_" + Name, L(Quantile(sample, 0.999)));
    }

    // Dropwizard's UniformSnapshot.getValue, then Math.round.
    private static long Quantile(long[] sorted, double quantile)
    {
        if (sorted.Length == 0) return 0;
        double pos = quantile * (sorted.Length + 1);
        int index = (int)pos;
        if (index < 1) return sorted[0];
        if (index >= sorted.Length) return sorted[^1];
        double lower = sorted[index - 1], upper = sorted[index];
        return (long)Math.Floor(lower + (pos - Math.Floor(pos)) * (upper - lower) + 0.5);
    }
}
