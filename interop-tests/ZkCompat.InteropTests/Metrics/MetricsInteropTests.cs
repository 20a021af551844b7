using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Metrics;

/// <summary>
/// The same workload on a Java 3.8 standalone server and on ZkCompat with the Prometheus metrics
/// provider: every key Java's mntr reports must be on ZkCompat's mntr and its /metrics. Debian's jar has
/// no Prometheus provider, so the Prometheus names, types and quantile sets are checked against the
/// list below, taken from Java 3.8.0's ServerMetrics, ZooKeeperServer.registerMetrics and
/// PrometheusMetricsProvider.
/// </summary>
[Category("Interop")]
public partial class MetricsInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly IReadOnlyList<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    private const string PrometheusProvider = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

    // ---- Java 3.8.0's metrics, as its Prometheus provider exports them -----------------------------

    /// <summary>ServerMetrics' counters (SimpleCounter → Prometheus counter).</summary>
    private static readonly string[] JavaCounters =
    [
        "looking_count", "diff_count", "snap_count", "commit_count", "connection_request_count", "connection_rejected",
        "bytes_received_count", "unrecoverable_error_count", "add_dead_watcher_stall_time", "dead_watchers_queued",
        "dead_watchers_cleared", "response_packet_cache_hits", "response_packet_cache_misses",
        "response_packet_get_children_cache_hits", "response_packet_get_children_cache_misses",
        "ensemble_auth_success", "ensemble_auth_fail", "ensemble_auth_skip", "prep_processor_request_queued",
        "outstanding_changes_queued", "outstanding_changes_removed", "revalidate_count", "connection_drop_count",
        "connection_revalidate_count", "sessionless_connections_expired", "stale_sessions_expired",
        "request_commit_queued", "throttled_ops", "learner_proposal_received_count", "learner_commit_received_count",
        "sync_processor_request_queued", "proposal_count", "quit_leading_due_to_disloyal_voter", "stale_requests",
        "stale_requests_dropped", "stale_replies", "request_throttle_wait_count", "large_requests_rejected",
        "digest_mismatches_count", "unsuccessful_handshake", "insecure_admin_count", "tls_handshake_exceeded",
        "cnxn_closed_without_zk_server_running", "skip_learner_request_to_next_processor_count",
        "requests_not_forwarded_to_commit_processor", "response_bytes", "watch_bytes",
    ];

    /// <summary>DetailLevel.BASIC summaries: the median only.</summary>
    private static readonly string[] JavaBasicSummaries =
    [
        "fsynctime", "snapshottime", "dbinittime", "follower_sync_time", "observer_sync_time", "election_time",
        "connection_token_deficit", "inflight_snap_count", "inflight_diff_count", "node_created_watch_count",
        "node_deleted_watch_count", "node_changed_watch_count", "node_children_watch_count",
        "prep_processor_queue_size", "prep_process_time", "proposal_process_time", "unavailable_time",
        "leader_unavailable_time", "requests_in_session_queue", "pending_session_queue_size",
        "reads_after_write_in_session_queue", "reads_issued_from_session_queue", "session_queues_drained",
        "time_waiting_empty_pool_in_commit_processor_read_ms", "write_batch_time_in_commit_processor",
        "concurrent_request_processing_in_commit_processor", "read_commit_proc_req_queued",
        "write_commit_proc_req_queued", "commit_commit_proc_req_queued", "read_commit_proc_issued",
        "write_commit_proc_issued", "commit_process_time", "startup_txns_loaded", "startup_txns_load_time",
        "startup_snap_load_time", "sync_processor_queue_size", "sync_process_time", "sync_processor_batch_size",
        "netty_queued_buffer_capacity", "learner_request_processor_queue_size", "socket_closing_time",
    ];

    /// <summary>DetailLevel.ADVANCED summaries: 0.5, 0.9 and 0.99.</summary>
    private static readonly string[] JavaAdvancedSummaries =
    [
        "readlatency", "updatelatency", "propagation_latency", "dead_watchers_cleaner_latency",
        "prep_processor_queue_time_ms", "close_session_prep_time", "read_commitproc_time_ms",
        "write_commitproc_time_ms", "local_write_committed_time_ms", "server_write_committed_time_ms",
        "om_proposal_process_time_ms", "om_commit_process_time_ms", "read_final_proc_time_ms",
        "write_final_proc_time_ms", "proposal_latency", "proposal_ack_creation_latency", "commit_propagation_latency",
        "sync_processor_queue_and_flush_time_ms", "sync_processor_queue_time_ms", "sync_processor_queue_flush_time_ms",
        "quorum_ack_latency", "request_throttle_queue_time_ms", "jvm_pause_time_ms",
    ];

    /// <summary>Summary sets (label "key") by detail level's quantiles.</summary>
    private static readonly Dictionary<string, string[]> JavaSummarySets = new()
    {
        ["write_per_namespace"] = ["0.5"],
        ["read_per_namespace"] = ["0.5"],
        ["learner_handler_qp_size"] = ["0.5"],
        ["learner_handler_qp_time_ms"] = ["0.5", "0.9", "0.99"],
        ["ack_latency"] = ["0.5", "0.9", "0.99"],
    };

    /// <summary>ZooKeeperServer.registerMetrics' gauges of a standalone server.</summary>
    private static readonly string[] JavaGauges =
    [
        "avg_latency", "max_latency", "min_latency", "packets_received", "packets_sent", "num_alive_connections",
        "outstanding_requests", "uptime", "znode_count", "watch_count", "ephemerals_count", "approximate_data_size",
        "global_sessions", "local_sessions", "open_file_descriptor_count", "max_file_descriptor_count",
        "connection_drop_probability", "last_client_response_size", "max_client_response_size",
        "min_client_response_size", "outstanding_tls_handshake", "auth_failed_count", "non_mtls_remote_conn_count",
        "non_mtls_local_conn_count",
    ];

    private static readonly string[] JavaCounterSets = ["quota_exceeded_error_per_namespace"];

    private static readonly string[] JavaGaugeSets =
    [
        "quota_count_limit_per_namespace", "quota_bytes_limit_per_namespace",
        "quota_count_usage_per_namespace", "quota_bytes_usage_per_namespace",
    ];

    /// <summary>mntr's non-metric values (dumpMonitorValues): Java's /metrics does not have them either.</summary>
    private static readonly string[] TextKeys = ["version", "server_state"];

    private sealed record Observed(Dictionary<string, string> Mntr, string? MetricsText);

    [Test]
    public async Task Every_key_of_javas_mntr_is_on_zkcompats_mntr_and_metrics()
    {
        var java = await RunWorkloadAsync(ServerKind.Java, configure: null, metricsPort: 0);
        int metricsPort = FreePort.OnLoopback();
        var zkCompat = await RunWorkloadAsync(ServerKind.ZkCompat, cfg => cfg
            .Set("metricsProvider.className", PrometheusProvider)
            .Set("metricsProvider.httpHost", "127.0.0.1")
            .Set("metricsProvider.httpPort", metricsPort.ToString(CultureInfo.InvariantCulture))
            .Set("metricsProvider.exportJvmInfo", "false"), metricsPort);

        var families = Parse(zkCompat.MetricsText!);
        // Java adds per-namespace read/write summaries for the paths the workload touched; we do not track them.
        var javaKeys = java.Mntr.Keys.Where(k => !k.EndsWith("_per_namespace", StringComparison.Ordinal)).ToList();
        Assert.That(javaKeys, Has.Count.GreaterThan(400), "Java's mntr was read");
        Assert.That(zkCompat.Mntr.Keys, Is.SupersetOf(javaKeys), string.Join(", ", javaKeys.Except(zkCompat.Mntr.Keys)));

        var missing = new List<string>();
        foreach (string key in javaKeys.Except(TextKeys))
        {
            string family = SummaryKey().Match(key) is { Success: true } m && JavaSummaries.ContainsKey(m.Groups[2].Value)
                ? m.Groups[2].Value
                : key;
            if (!families.TryGetValue(family, out var f) || f.Samples.Count == 0) missing.Add($"{key} (as {family})");
        }
        Assert.That(missing, Is.Empty, "Java mntr keys with no /metrics family or sample");

        // The state the workload left is the same on both, and /metrics says so (connections are left out:
        // Java's mntr is read over a connection of its own, the scrape over HTTP).
        foreach (string gauge in new[] { "znode_count", "ephemerals_count", "watch_count", "global_sessions",
                     "approximate_data_size", "outstanding_requests", "local_sessions" })
        {
            Assert.That(families[gauge].Samples.Single().Value,
                Is.EqualTo(double.Parse(java.Mntr[gauge], CultureInfo.InvariantCulture)), gauge);
        }
    }

    [Test]
    public async Task Metrics_has_javas_prometheus_names_types_and_quantiles()
    {
        int metricsPort = FreePort.OnLoopback();
        var zkCompat = await RunWorkloadAsync(ServerKind.ZkCompat, cfg => cfg
            .Set("metricsProvider.className", PrometheusProvider)
            .Set("metricsProvider.httpHost", "127.0.0.1")
            .Set("metricsProvider.httpPort", metricsPort.ToString(CultureInfo.InvariantCulture)), metricsPort);
        var families = Parse(zkCompat.MetricsText!);

        var expected = JavaCounters.Concat(JavaCounterSets).Select(n => (n, "counter"))
            .Concat(JavaGauges.Concat(JavaGaugeSets).Select(n => (n, "gauge")))
            .Concat(JavaSummaries.Keys.Concat(JavaSummarySets.Keys).Select(n => (n, "summary")));
        foreach (var (name, type) in expected)
        {
            Assert.That(families.TryGetValue(name, out var family), Is.True, name);
            Assert.That(family!.Type, Is.EqualTo(type), name);
            Assert.That(family.Help, Is.EqualTo(name), "Java's help text is the name");
        }
        foreach (var (name, quantiles) in JavaSummaries)
        {
            var family = families[name];
            Assert.That(family.Samples.Where(s => s.Labels.ContainsKey("quantile")).Select(s => s.Labels["quantile"]),
                Is.EquivalentTo(quantiles), name);
            Assert.That(family.Samples.Select(s => s.Name), Is.SupersetOf(new[] { name + "_count", name + "_sum" }), name);
        }
        foreach (string name in JavaCounters.Concat(JavaGauges))
            Assert.That(families[name].Samples.Select(s => (s.Name, s.Labels.Count)), Is.EqualTo(new[] { (name, 0) }), name);
        // Labelled sets carry their values under "key", like Java's.
        foreach (string name in JavaSummarySets.Keys.Concat(JavaCounterSets).Concat(JavaGaugeSets))
            Assert.That(families[name].Samples.SelectMany(s => s.Labels.Keys).Distinct(), Is.SubsetOf(new[] { "key", "quantile" }), name);
        // exportJvmInfo defaults to true: the runtime's own metrics come along (the .NET process's, not a JVM's).
        Assert.That(families.Keys, Has.Some.StartWith("process_"));
    }

    private static readonly Dictionary<string, string[]> JavaSummaries =
        JavaBasicSummaries.Select(n => KeyValuePair.Create(n, new[] { "0.5" }))
            .Concat(JavaAdvancedSummaries.Select(n => KeyValuePair.Create(n, new[] { "0.5", "0.9", "0.99" })))
            .ToDictionary();

    /// <summary>Runs the workload on a fresh server of <paramref name="kind"/>, then reads mntr and (ZkCompat) /metrics.</summary>
    private static async Task<Observed> RunWorkloadAsync(ServerKind kind, Action<ZooCfg>? configure, int metricsPort)
    {
        var run = await BothServers.RunOnAsync(kind, async server =>
        {
            using var cts = new CancellationTokenSource(Timeout);
            var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(30) };
            await using var a = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, cts.Token);
            await using var b = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, cts.Token);
            await a.CreateAsync("/mx", Encoding.ASCII.GetBytes("data"), Open, ct: cts.Token);
            await a.CreateAsync("/mx/e", null, Open, CreateMode.Ephemeral, ct: cts.Token);
            await a.CreateAsync("/mx/gone", null, Open, ct: cts.Token);
            await a.SetDataAsync("/mx", Encoding.ASCII.GetBytes("more data"), ct: cts.Token);
            await a.DeleteAsync("/mx/gone", ct: cts.Token);
            await a.GetDataAsync("/mx", watch: true, ct: cts.Token);
            await a.ExistsAsync("/mx/none", watch: true, ct: cts.Token);
            await a.GetChildrenAsync("/mx", watch: true, ct: cts.Token);
            await b.GetDataAsync("/mx", watch: true, ct: cts.Token);
            string mntr = await server.FourLetterWordAsync("mntr", cts.Token);
            string? metrics = null;
            if (metricsPort != 0)
            {
                using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
                using var response = await http.GetAsync($"http://127.0.0.1:{metricsPort}/metrics", cts.Token);
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), server.LogText);
                Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/plain; version=0.0.4; charset=utf-8"));
                metrics = await response.Content.ReadAsStringAsync(cts.Token);
            }
            var values = mntr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t'))
                .ToDictionary(p => p[0].StartsWith("zk_", StringComparison.Ordinal) ? p[0][3..] : p[0], p => p.Length > 1 ? p[1] : "");
            return new Observed(values, metrics);
        }, configure);
        return run.Result;
    }

    // ---- a strict reader of the 0.0.4 text format ------------------------------------------------

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);

    private sealed record Family(string Name, string Type, string? Help, List<Sample> Samples);

    /// <summary>HELP/TYPE before samples, each family once, every sample well formed and in its family.</summary>
    private static Dictionary<string, Family> Parse(string text)
    {
        Assert.That(text, Does.EndWith("\n"));
        var families = new Dictionary<string, Family>(StringComparer.Ordinal);
        var helps = new Dictionary<string, string>(StringComparer.Ordinal);
        Family? current = null;
        foreach (string line in text[..^1].Split('\n'))
        {
            if (line.Length == 0) continue;
            if (HelpLine().Match(line) is { Success: true } help)
            {
                helps.Add(help.Groups[1].Value, help.Groups[2].Value);
                continue;
            }
            if (TypeLine().Match(line) is { Success: true } type)
            {
                Assert.That(type.Groups[2].Value, Is.AnyOf("counter", "gauge", "summary", "histogram", "untyped"), line);
                current = new Family(type.Groups[1].Value, type.Groups[2].Value, helps.GetValueOrDefault(type.Groups[1].Value), []);
                families.Add(current.Name, current);
                continue;
            }
            Assert.That(line, Does.Not.StartWith("#"), "only HELP and TYPE comments are written");
            var sample = SampleLine().Match(line);
            Assert.That(sample.Success, Is.True, "malformed sample: " + line);
            string name = sample.Groups[1].Value;
            Assert.That(current, Is.Not.Null, "sample before any TYPE: " + line);
            Assert.That(name == current!.Name || (current.Type is "summary" or "histogram" && (name == current.Name + "_sum" || name == current.Name + "_count"))
                || (current.Type == "histogram" && name == current.Name + "_bucket"), Is.True, $"{line} outside family {current.Name}");
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(sample.Groups[2].Value))
                labels.Add(label.Groups[1].Value, Regex.Unescape(label.Groups[2].Value));
            string valueText = sample.Groups[3].Value;
            double value = valueText switch
            {
                "NaN" => double.NaN,
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            current.Samples.Add(new Sample(name, labels, value));
        }
        return families;
    }

    [GeneratedRegex(@"^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$")]
    private static partial Regex HelpLine();

    [GeneratedRegex(@"^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$")]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*=""(?:[^""\\]|\\[\\""n])*"",?)*)\})? (\S+)$")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\[\\""n])*)""")]
    private static partial Regex LabelPair();

    /// <summary>An mntr summary key: avg_/min_/max_/cnt_/sum_/pNN_ then the summary's name.</summary>
    [GeneratedRegex(@"^(avg|min|max|cnt|sum|p50|p95|p99|p999)_(.+)$")]
    private static partial Regex SummaryKey();
}
