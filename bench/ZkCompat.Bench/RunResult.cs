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
        foreach (var (key, value) in Extra) Put(key, value);
        return line.ToString();
    }
}
