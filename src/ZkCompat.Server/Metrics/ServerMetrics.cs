using System.Diagnostics.Metrics;

namespace ZkCompat.Server.Metrics;

/// <summary>
/// The process-wide metrics that are recorded as things happen (Java's static <c>ServerMetrics</c>),
/// as <see cref="System.Diagnostics.Metrics"/> instruments on one meter: each histogram is the Java
/// summary of the same name (see <see cref="MetricCatalog"/> for its quantiles), a "key" tag makes
/// it a summary set. Like Java's they outlive role changes. With no listener (the default metrics
/// provider) recording costs next to nothing.
/// </summary>
public static class ServerMetrics
{
    public const string MeterName = "ZkCompat.Server";

    public static Meter Meter { get; } = new(MeterName);

    /// <summary>Java's READ_LATENCY: ms from a request's arrival to its reply, for requests without a txn.</summary>
    public static Histogram<long> ReadLatency { get; } =
        Meter.CreateHistogram<long>("readlatency", "ms", "Latency of requests that carry no transaction");

    /// <summary>Java's UPDATE_LATENCY: the same for requests that carry a txn (writes, sessions).</summary>
    public static Histogram<long> UpdateLatency { get; } =
        Meter.CreateHistogram<long>("updatelatency", "ms", "Latency of requests that carry a transaction");

    /// <summary>
    /// Java's <c>ServerStats.updateLatency</c> split: a request with a txn header counts as an update,
    /// any other as a read; a negative latency (clock step) is dropped as Java drops it.
    /// </summary>
    public static void RecordRequestLatency(bool hasTxn, long latencyMs)
    {
        if (latencyMs < 0) return;
        (hasTxn ? UpdateLatency : ReadLatency).Record(latencyMs);
    }
}
