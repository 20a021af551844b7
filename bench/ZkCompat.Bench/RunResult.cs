using System.Globalization;
using System.Text;

namespace ZkCompat.Bench;

/// <summary>What one run measured; printed as one <c>RESULT key=value ...</c> line that compare.sh parses.</summary>
public sealed class RunResult(string workload, string label)
{
    public string Workload { get; } = workload;

    public string Label { get; } = label;

    public long Ops { get; set; }

    public long Errors { get; set; }

    public TimeSpan Elapsed { get; set; }

    public LatencyHistogram Latency { get; } = new();

    /// <summary>Latency of the sessions on each server of an ensemble, in the order of --server; null for one server.</summary>
    public LatencyHistogram[]? ServerLatency { get; private set; }

    /// <summary>Starts keeping latency per server as well (idempotent); null when there is only one.</summary>
    public LatencyHistogram[]? SplitByServer(int servers)
    {
        if (servers > 1 && ServerLatency is null) ServerLatency = [.. Enumerable.Range(0, servers).Select(_ => new LatencyHistogram())];
        return ServerLatency;
    }

    /// <summary>Workload-specific figures (bulk: rss_mb, snap_ms, recover_ms ...), in insertion order.</summary>
    public List<KeyValuePair<string, string>> Extra { get; } = [];

    public void Add(string key, double value) => Extra.Add(new(key, value.ToString("0.###", CultureInfo.InvariantCulture)));

    public void Add(string key, string value) => Extra.Add(new(key, value));

    public double OpsPerSecond => Elapsed > TimeSpan.Zero ? Ops / Elapsed.TotalSeconds : 0;

    public string ToLine()
    {
        var line = new StringBuilder("RESULT");
        void Put(string key, string value) => line.Append(' ').Append(key).Append('=').Append(value);
        static string Ms(long micros) => (micros / 1000.0).ToString("0.###", CultureInfo.InvariantCulture);
        Put("workload", Workload);
        Put("server", Label);
        Put("ops", Ops.ToString(CultureInfo.InvariantCulture));
        Put("secs", Elapsed.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture));
        Put("ops_s", OpsPerSecond.ToString("0.#", CultureInfo.InvariantCulture));
        Put("p50_ms", Ms(Latency.ValueAtQuantile(0.50)));
        Put("p99_ms", Ms(Latency.ValueAtQuantile(0.99)));
        Put("p999_ms", Ms(Latency.ValueAtQuantile(0.999)));
        Put("max_ms", Ms(Latency.MaxMicros));
        Put("errors", Errors.ToString(CultureInfo.InvariantCulture));
        if (ServerLatency is { } perServer)
        {
            // One value per server joined by '/', so the line stays key=value.
            string Each(Func<LatencyHistogram, string> f) => string.Join('/', perServer.Select(f));
            Put("servers", perServer.Length.ToString(CultureInfo.InvariantCulture));
            Put("ops_by_server", Each(h => h.Count.ToString(CultureInfo.InvariantCulture)));
            Put("p50_by_server", Each(h => Ms(h.ValueAtQuantile(0.50))));
            Put("p99_by_server", Each(h => Ms(h.ValueAtQuantile(0.99))));
        }
        foreach (var (key, value) in Extra) Put(key, value);
        return line.ToString();
    }
}
