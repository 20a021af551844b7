using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Metrics;

/// <summary>Java's <c>MetricsProviderBootstrap</c>: starts the provider zoo.cfg's <c>metricsProvider.className</c> names.</summary>
public static class MetricsProviderBootstrap
{
    /// <summary>
    /// The Prometheus provider, started; null for Java's default provider, whose only outlet is mntr
    /// (and the AdminServer's monitor command).
    /// </summary>
    /// <exception cref="MetricsProviderLifeCycleException">The provider could not start.</exception>
    public static async Task<PrometheusMetricsProvider?> StartAsync(ServerOptions options, ILoggerFactory loggers, CancellationToken ct = default)
    {
        if (options.MetricsProviderClassName != ServerOptions.PrometheusMetricsProvider) return null;
        return await PrometheusMetricsProvider.StartAsync(
            PrometheusMetricsOptions.Parse(options.MetricsProviderConfiguration), loggers, ct).ConfigureAwait(false);
    }
}
