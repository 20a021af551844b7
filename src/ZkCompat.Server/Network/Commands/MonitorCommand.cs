using System.Globalization;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// mntr (Java's <c>MonitorCommand</c>): <c>zk_&lt;name&gt;\t&lt;value&gt;</c> per line, version and state
/// first, then every metric a Java 3.8.0 standalone server registers. Java's order after the first
/// two is a hash map's, so readers must not rely on it.
/// <para>
/// Not tracked yet, reported as Java reports them before anything happened:
/// gauges last/min/max_client_response_size (-1), auth_failed_count, outstanding_tls_handshake,
/// non_mtls_remote_conn_count, non_mtls_local_conn_count, local_sessions and
/// connection_drop_probability (0; we have no TLS, local sessions or connection throttling);
/// every counter in <see cref="MetricNames.Counters"/> but digest_mismatches_count (0), and every summary in
/// <see cref="MetricNames.Summaries"/> and <see cref="MetricNames.PercentileSummaries"/>
/// (avg 0.0, the rest 0). The per-namespace read/write summaries and the quota gauge sets, which
/// Java adds once paths are read, written or given quotas, are not reported.
/// </para>
/// </summary>
public static class MonitorCommand
{
    public static void Run(FourLetterWordContext c)
    {
        if (!c.IsServing)
        {
            c.Println(FourLetterWordContext.NotServing);
            return;
        }
        foreach (var (key, value) in Values(c)) c.Print("zk_").Print(key).Print("\t").Println(value);
    }

    /// <summary>Every (name, printed value) pair, in output order.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Values(FourLetterWordContext c)
    {
        var zks = c.Server;
        var stats = zks.Stats;
        var tree = zks.Tree;
        var list = new List<KeyValuePair<string, string>>(512);
        void Add(string name, string value) => list.Add(new(name, value));
        void Int(string name, long value) => Add(name, value.ToString(CultureInfo.InvariantCulture));
        void Real(string name, double value) => Add(name, JavaFormat.Double(value));

        // ZooKeeperServer.dumpMonitorValues
        Add("version", FourLetterWords.Version);
        Add("server_state", c.ServerState);
        if (zks.Role.PeerState is { } peerState) Add("peer_state", peerState);
        if (zks.Role.MonitorValues is { } roleValues) list.AddRange(roleValues());

        // Gauges of ZooKeeperServer.registerMetrics
        Real("avg_latency", JavaFormat.RoundHalfUp4(stats.AvgLatency));
        Int("max_latency", stats.MaxLatency);
        Int("min_latency", stats.MinLatency);
        Int("packets_received", stats.PacketsReceived);
        Int("packets_sent", stats.PacketsSent);
        Int("num_alive_connections", c.Connections.Count);
        Int("outstanding_requests", zks.OutstandingRequests);
        Int("uptime", (long)(zks.Time.GetUtcNow() - zks.StartTime).TotalMilliseconds);
        Int("znode_count", tree.NodeCount);
        Int("watch_count", tree.WatchCount);
        Int("ephemerals_count", tree.EphemeralsCount);
        Int("approximate_data_size", tree.CachedApproximateDataSize);
        Int("global_sessions", zks.Sessions.GetSessionsWithTimeouts().Count);
        Int("local_sessions", 0);
        Int("open_file_descriptor_count", ProcessFiles.OpenCount());
        Int("max_file_descriptor_count", ProcessFiles.MaxCount());
        Real("connection_drop_probability", 0.0);
        Int("last_client_response_size", -1);
        Int("max_client_response_size", -1);
        Int("min_client_response_size", -1);
        Int("outstanding_tls_handshake", 0);
        Int("auth_failed_count", 0);
        Int("non_mtls_remote_conn_count", 0);
        Int("non_mtls_local_conn_count", 0);

        // The counters we keep; the rest of Java's are 0 here.
        var counters = new Dictionary<string, long>(StringComparer.Ordinal)
        {
            ["digest_mismatches_count"] = tree.DigestMismatchCount,
        };
        foreach (string name in MetricNames.Counters) Int(name, counters.GetValueOrDefault(name));
        foreach (string name in MetricNames.Summaries) EmptySummary(list, name, percentiles: false);
        foreach (string name in MetricNames.PercentileSummaries) EmptySummary(list, name, percentiles: true);
        return list;
    }

    /// <summary>A summary with no data points, as Java's AvgMinMax(Percentile)Counter prints it.</summary>
    private static void EmptySummary(List<KeyValuePair<string, string>> list, string name, bool percentiles)
    {
        list.Add(new("avg_" + name, "0.0"));
        list.Add(new("min_" + name, "0"));
        list.Add(new("max_" + name, "0"));
        list.Add(new("cnt_" + name, "0"));
        list.Add(new("sum_" + name, "0"));
        if (!percentiles) return;
        list.Add(new("p50_" + name, "0"));
        list.Add(new("p95_" + name, "0"));
        list.Add(new("p99_" + name, "0"));
        list.Add(new("p999_" + name, "0"));
    }
}
