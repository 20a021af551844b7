using Prometheus;
using ZkCompat.Server.Network.Commands;

namespace ZkCompat.Server.Metrics;

/// <summary>
/// How much a summary keeps (Java's <c>MetricsContext.DetailLevel</c>): BASIC summaries export the median,
/// ADVANCED ones the 0.5, 0.9 and 0.99 quantiles.
/// </summary>
public enum SummaryDetail
{
    Basic,
    Advanced,
}

/// <summary>
/// What Java 3.8.0's <c>ServerMetrics</c> registers beyond mntr's flat names, and the shape its Prometheus
/// provider gives each: counters, summaries by detail level, and the sets labelled by <c>key</c>.
/// The flat names themselves are <see cref="MetricNames"/> (mntr's lists): its summaries are the BASIC
/// ones and its percentile summaries the ADVANCED ones, since Java's default provider picks the
/// percentile kind for ADVANCED.
/// </summary>
public static class MetricCatalog
{
    /// <summary>The label every Java metric set puts its key under.</summary>
    public const string SetLabel = "key";

    /// <summary>Summary sets (per namespace, per learner), each a summary labelled by <see cref="SetLabel"/>.</summary>
    public static IReadOnlyDictionary<string, SummaryDetail> SummarySets { get; } = new Dictionary<string, SummaryDetail>(StringComparer.Ordinal)
    {
        ["write_per_namespace"] = SummaryDetail.Basic,
        ["read_per_namespace"] = SummaryDetail.Basic,
        ["learner_handler_qp_size"] = SummaryDetail.Basic,
        ["learner_handler_qp_time_ms"] = SummaryDetail.Advanced,
        ["ack_latency"] = SummaryDetail.Advanced,
    };

    /// <summary>Counter sets: quota violations per top-level namespace.</summary>
    public static IReadOnlyList<string> CounterSets { get; } = ["quota_exceeded_error_per_namespace"];

    /// <summary>Gauge sets ZooKeeperServer registers for quotas per namespace.</summary>
    public static IReadOnlyList<string> GaugeSets { get; } =
    [
        "quota_count_limit_per_namespace", "quota_bytes_limit_per_namespace",
        "quota_count_usage_per_namespace", "quota_bytes_usage_per_namespace",
    ];

    /// <summary>Every plain summary by name, with its detail level.</summary>
    public static IReadOnlyDictionary<string, SummaryDetail> Summaries { get; } =
        MetricNames.Summaries.Select(n => KeyValuePair.Create(n, SummaryDetail.Basic))
            .Concat(MetricNames.PercentileSummaries.Select(n => KeyValuePair.Create(n, SummaryDetail.Advanced)))
            .ToDictionary(StringComparer.Ordinal);

    private static readonly HashSet<string> CounterNames = new(MetricNames.Counters, StringComparer.Ordinal);

    // mntr spells a summary as these keys; Prometheus has one summary family instead.
    private static readonly HashSet<string> SummaryKeys = new(
        MetricNames.Summaries.SelectMany(n => new[] { "avg_", "min_", "max_", "cnt_", "sum_" }.Select(p => p + n))
            .Concat(MetricNames.PercentileSummaries.SelectMany(n =>
                new[] { "avg_", "min_", "max_", "cnt_", "sum_", "p50_", "p95_", "p99_", "p999_" }.Select(p => p + n))),
        StringComparer.Ordinal);

    public static bool IsCounter(string name) => CounterNames.Contains(name);

    /// <summary>Whether an mntr key is one of a summary's avg/min/max/cnt/sum/pNN values.</summary>
    public static bool IsSummaryKey(string mntrKey) => SummaryKeys.Contains(mntrKey);

    /// <summary>The quantiles and tolerated errors Java's provider asks of a summary at this level.</summary>
    public static IReadOnlyList<QuantileEpsilonPair> Objectives(SummaryDetail detail) => detail == SummaryDetail.Advanced
        ? [new(0.5, 0.05), new(0.9, 0.01), new(0.99, 0.001)]
        : [new(0.5, 0.05)];
}
