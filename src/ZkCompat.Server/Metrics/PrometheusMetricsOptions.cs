using ZkCompat.Server.Config;

namespace ZkCompat.Server.Metrics;

/// <summary>
/// The <c>metricsProvider.*</c> zoo.cfg keys Java's <c>PrometheusMetricsProvider.configure</c> reads, with its
/// defaults. The worker-thread keys are read and checked like Java's, but summaries are observed on the
/// recording thread here, so they change nothing.
/// </summary>
public sealed record PrometheusMetricsOptions
{
    public string HttpHost { get; init; } = "0.0.0.0";

    public int HttpPort { get; init; } = 7000;

    /// <summary>Also export the runtime's own metrics (Java: the JVM's; here: the .NET process's).</summary>
    public bool ExportJvmInfo { get; init; } = true;

    public int NumWorkerThreads { get; init; } = 1;

    public int MaxQueueSize { get; init; } = 1000000;

    public long WorkerShutdownTimeoutMs { get; init; } = 1000;

    /// <summary>
    /// Reads the keys (prefix removed) as Java does: <c>Integer.parseInt</c> for numbers, so a bad one stops the
    /// server; <c>Boolean.parseBoolean</c> for exportJvmInfo, so anything but "true" is false.
    /// </summary>
    /// <exception cref="ConfigException">A number that Java's parser would refuse.</exception>
    public static PrometheusMetricsOptions Parse(IReadOnlyDictionary<string, string> configuration)
    {
        string? Get(string key) => configuration.GetValueOrDefault(key);

        int Int(string key, int defaultValue) => Get(key) is not { } text ? defaultValue
            : JavaText.TryParseInt(text, out int v) ? v
            : throw new ConfigException($"For input string: \"{text}\" (metricsProvider.{key})", "metricsProvider." + key);

        long Long(string key, long defaultValue) => Get(key) is not { } text ? defaultValue
            : JavaText.TryParseLong(text, 10, out long v) ? v
            : throw new ConfigException($"For input string: \"{text}\" (metricsProvider.{key})", "metricsProvider." + key);

        return new PrometheusMetricsOptions
        {
            HttpHost = Get("httpHost") ?? "0.0.0.0",
            HttpPort = Int("httpPort", 7000),
            ExportJvmInfo = Get("exportJvmInfo") is not { } jvm || JavaText.ParseBoolean(jvm),
            NumWorkerThreads = Int("numWorkerThreads", 1),
            MaxQueueSize = Int("maxQueueSize", 1000000),
            WorkerShutdownTimeoutMs = Long("workerShutdownTimeoutMs", 1000),
        };
    }
}
