using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;
using MsOptions = Microsoft.Extensions.Options.Options;

namespace ZkCompat.Server.Metrics;

/// <summary>
/// Java's <c>PrometheusMetricsProvider</c>: <c>/metrics</c> on httpHost:httpPort in the Prometheus text
/// format, with Java's names and types. The instruments of <see cref="ServerMetrics"/> and
/// <see cref="MonitorInstruments"/> are bridged by a <see cref="MeterListener"/> into a prometheus-net
/// registry, which keeps the quantiles and writes the text: histograms become summaries with Java's
/// quantile sets, observable counters counters, observable gauges gauges. As Java samples its gauges
/// before each scrape, mntr's values are read once per scrape, so a scrape and an mntr at the same
/// moment agree; gauges of a role that ended leave the output, counters and summaries stay.
/// </summary>
public sealed partial class PrometheusMetricsProvider : IAsyncDisposable
{
    /// <summary>The one path served (Java's servlet mapping); any other answers 404.</summary>
    public const string Path = "/metrics";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    private readonly ILogger _log;
    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly MetricFactory _factory;
    private readonly MonitorInstruments _monitor = new();
    private readonly MeterListener _listener;
    private readonly Lock _familiesLock = new();
    private readonly Lock _sampleLock = new();
    private readonly Dictionary<string, Counter> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Summary> _summaries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GaugeSink> _gauges = new(StringComparer.Ordinal);
    private long _round;
    private KestrelServer? _kestrel;
    private ServiceProvider? _services;

    private PrometheusMetricsProvider(PrometheusMetricsOptions options, ILoggerFactory loggers)
    {
        Options = options;
        _log = loggers.CreateLogger("ZkCompat.Server.Metrics.PrometheusMetricsProvider");
        _factory = Prometheus.Metrics.WithCustomRegistry(_registry);

        // Java's ServerMetrics registers every counter and summary up front, so they show before any event.
        foreach (string name in Network.Commands.MetricNames.Counters) CounterFor(name);
        foreach (string name in MetricCatalog.Summaries.Keys) SummaryFor(name);
        foreach (string name in MetricCatalog.SummarySets.Keys) SummaryFor(name);
        foreach (string name in MetricCatalog.CounterSets) CounterFor(name);
        foreach (string name in MetricCatalog.GaugeSets) _factory.CreateGauge(name, name, [MetricCatalog.SetLabel]);
        if (options.ExportJvmInfo) DotNetStats.Register(_registry);

        _listener = new MeterListener { InstrumentPublished = OnInstrumentPublished };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Sink)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Sink)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Sink)state!).Record(value, tags));
        _registry.AddBeforeCollectCallback(Sample);
    }

    public PrometheusMetricsOptions Options { get; }

    /// <summary>The address /metrics is served on (the real port when httpPort was 0).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Any, 0);

    /// <summary>The server whose mntr values the gauges and counters show: the standalone server, or the peer's current role.</summary>
    public Func<ZooKeeperServer?> ServerSource
    {
        get => _monitor.ServerSource;
        set => _monitor.ServerSource = value;
    }

    /// <summary>Starts listening; the server is not to start when this throws (Java's order: the provider comes first).</summary>
    /// <exception cref="MetricsProviderLifeCycleException">The endpoint could not be opened.</exception>
    public static async Task<PrometheusMetricsProvider> StartAsync(PrometheusMetricsOptions options, ILoggerFactory loggers, CancellationToken ct = default)
    {
        var provider = new PrometheusMetricsProvider(options, loggers);
        try
        {
            provider._listener.Start();
            await provider.StartHttpAsync(loggers, ct).ConfigureAwait(false);
            return provider;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            provider.LogCannotStart(e);
            await provider.DisposeAsync().ConfigureAwait(false);
            throw e as MetricsProviderLifeCycleException ?? new MetricsProviderLifeCycleException("Cannot start /metrics server: " + e.Message, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_kestrel is { } kestrel)
        {
            _kestrel = null;
            // A scrape in flight gets a moment to finish; then Kestrel closes the connection.
            using var timeout = new CancellationTokenSource(StopTimeout);
            try
            {
                await kestrel.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
            kestrel.Dispose();
        }
        if (_services is not null) await _services.DisposeAsync().ConfigureAwait(false);
        _services = null;
        _listener.Dispose();
        _monitor.Dispose();
    }

    private async Task StartHttpAsync(ILoggerFactory loggers, CancellationToken ct)
    {
        int port = Options.HttpPort;
        if (port is < 0 or > 0xFFFF) throw new MetricsProviderLifeCycleException("port out of range:" + port);
        LogStarting(Options.HttpHost, port, Options.ExportJvmInfo);
        IPAddress? address = await ResolveAsync(Options.HttpHost, ct).ConfigureAwait(false);

        // A bare Kestrel server: no generic host, so nothing of its own hooks the process's signals.
        var kestrelOptions = new KestrelServerOptions { AddServerHeader = false };
        _services = new ServiceCollection().AddSingleton(loggers).BuildServiceProvider();
        kestrelOptions.ApplicationServices = _services;
        // Scrapes are few; a bound on connections keeps a flood from piling up.
        kestrelOptions.Limits.MaxConcurrentConnections = 64;
        if (address is null) kestrelOptions.ListenAnyIP(port);
        else kestrelOptions.Listen(address, port);
        var transport = new SocketTransportFactory(MsOptions.Create(new SocketTransportOptions()), loggers);
        _kestrel = new KestrelServer(MsOptions.Create(kestrelOptions), transport, loggers);
        // Java's simpleclient 0.9 speaks only the 0.0.4 text format: no OpenMetrics (and so no _total suffixes).
        var settings = new MetricServerMiddleware.Settings { Registry = _registry, EnableOpenMetrics = false };
        await _kestrel.StartAsync(new Application(new MetricServerMiddleware(_ => Task.CompletedTask, settings)), ct).ConfigureAwait(false);

        string? bound = _kestrel.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        int boundPort = bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out var uri) ? uri.Port : port;
        EndPoint = new IPEndPoint(address ?? IPAddress.IPv6Any, boundPort);
    }

    /// <summary>Serves <see cref="Path"/> exactly, as Java's servlet mapping; any other path is 404.</summary>
    private sealed class Application(MetricServerMiddleware metrics) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context)
        {
            if (context.Request.Path.Value == Path) return metrics.Invoke(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }

    /// <summary>Java binds <c>new InetSocketAddress(host, port)</c>: the wildcard, a literal address or a name to resolve.</summary>
    private static async Task<IPAddress?> ResolveAsync(string host, CancellationToken ct)
    {
        if (host is "" or "0.0.0.0" or "::" or "0:0:0:0:0:0:0:0") return null;
        if (IPAddress.TryParse(host.Trim('[', ']'), out var literal)) return literal;
        var addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        return addresses.Length > 0 ? addresses[0] : throw new MetricsProviderLifeCycleException("Unresolved address: " + host);
    }

    /// <summary>Before each scrape: one reading of mntr, pushed through the observable instruments.</summary>
    private void Sample()
    {
        lock (_sampleLock)
        {
            long round = Interlocked.Increment(ref _round);
            _monitor.Observe(_listener.RecordObservableInstruments);
            GaugeSink[] gauges;
            lock (_familiesLock) gauges = [.. _gauges.Values];
            // A gauge nobody reported (no server, or not this role's) leaves the output, as Java unregisters it.
            foreach (var gauge in gauges)
            {
                if (gauge.Round != round) gauge.Gauge.Unpublish();
            }
        }
    }

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter, ServerMetrics.Meter) && !ReferenceEquals(instrument.Meter, _monitor.Meter)) return;
        if (SinkFor(instrument) is { } sink) listener.EnableMeasurementEvents(instrument, sink);
    }

    private Sink? SinkFor(Instrument instrument)
    {
        var type = instrument.GetType();
        var kind = type.IsGenericType ? type.GetGenericTypeDefinition() : null;
        string name = instrument.Name;
        if (kind == typeof(Histogram<>)) return new SummarySink(SummaryFor(name), MetricCatalog.SummarySets.ContainsKey(name));
        if (kind == typeof(ObservableCounter<>)) return new CounterSink(CounterFor(name), MetricCatalog.CounterSets.Contains(name), cumulative: true);
        if (kind == typeof(Counter<>)) return new CounterSink(CounterFor(name), MetricCatalog.CounterSets.Contains(name), cumulative: false);
        if (kind == typeof(ObservableGauge<>)) return GaugeFor(name);
        return null;
    }

    private Counter CounterFor(string name)
    {
        lock (_familiesLock)
        {
            if (_counters.TryGetValue(name, out var counter)) return counter;
            counter = MetricCatalog.CounterSets.Contains(name)
                ? _factory.CreateCounter(name, name, [MetricCatalog.SetLabel])
                : _factory.CreateCounter(name, name);
            _counters.Add(name, counter);
            return counter;
        }
    }

    private Summary SummaryFor(string name)
    {
        lock (_familiesLock)
        {
            if (_summaries.TryGetValue(name, out var summary)) return summary;
            bool set = MetricCatalog.SummarySets.TryGetValue(name, out var detail);
            if (!set) detail = MetricCatalog.Summaries.GetValueOrDefault(name, SummaryDetail.Basic);
            summary = _factory.CreateSummary(name, name, new SummaryConfiguration
            {
                Objectives = MetricCatalog.Objectives(detail),
                LabelNames = set ? [MetricCatalog.SetLabel] : [],
            });
            _summaries.Add(name, summary);
            return summary;
        }
    }

    private GaugeSink GaugeFor(string name)
    {
        lock (_familiesLock)
        {
            if (_gauges.TryGetValue(name, out var sink)) return sink;
            // Unpublished until a reading sets it, so a gauge never shows a value nobody reported.
            var gauge = _factory.CreateGauge(name, name, new GaugeConfiguration { SuppressInitialValue = true });
            sink = new GaugeSink(gauge, this);
            _gauges.Add(name, sink);
            return sink;
        }
    }

    private static string? KeyOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == MetricCatalog.SetLabel) return tag.Value?.ToString();
        }
        return null;
    }

    /// <summary>Where one instrument's measurements go; never throws into the code that records.</summary>
    private abstract class Sink
    {
        public abstract void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags);
    }

    private sealed class SummarySink(Summary summary, bool labelled) : Sink
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (!labelled) summary.Observe(value);
            else if (KeyOf(tags) is { } key) summary.WithLabels(key).Observe(value);
        }
    }

    /// <param name="cumulative">The measurement is the running total (observable counter), not an increment.</param>
    private sealed class CounterSink(Counter counter, bool labelled, bool cumulative) : Sink
    {
        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            // A Prometheus counter never goes down; Java logs such a delta and drops it.
            if (value < 0 || double.IsNaN(value)) return;
            ICounter child;
            if (!labelled) child = counter;
            else if (KeyOf(tags) is { } key) child = counter.WithLabels(key);
            else return;
            if (cumulative) child.IncTo(value);
            else child.Inc(value);
        }
    }

    private sealed class GaugeSink(Gauge gauge, PrometheusMetricsProvider owner) : Sink
    {
        public Gauge Gauge { get; } = gauge;

        /// <summary>The sampling round that last set it.</summary>
        public long Round { get; private set; }

        public override void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            Gauge.Set(value);
            Round = Interlocked.Read(ref owner._round);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting /metrics HTTP endpoint at host: {Host}, port: {Port}, exportJvmInfo: {ExportJvmInfo}")]
    private partial void LogStarting(string host, int port, bool exportJvmInfo);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cannot start /metrics server")]
    private partial void LogCannotStart(Exception e);
}
