using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;
using ZkCompat.Server.Metrics;
using ZkCompat.Server.Network.Commands;
using ZkCompat.Server.Tests.Protocol;
using Flw = ZkCompat.Server.Network.FourLetterWords;
using static ZkCompat.Server.Tests.FourLetterWords.FourLetterWordHarness;

namespace ZkCompat.Server.Tests.Metrics;

/// <summary>
/// The Prometheus provider against an in-process standalone server: /metrics scraped over HTTP after a
/// small workload, read with a strict text-format parser, checked against mntr and Java's shapes.
/// </summary>
public class PrometheusMetricsProviderTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly IReadOnlyList<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    // mntr values that are text, not metrics (Java's dumpMonitorValues), so never on /metrics.
    private static readonly string[] TextKeys = ["version", "server_state", "peer_state"];

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(15) };

    private static Task<PrometheusMetricsProvider> StartProviderAsync(InProcessServer? server, bool exportJvmInfo = false)
    {
        var options = new PrometheusMetricsOptions { HttpHost = "127.0.0.1", HttpPort = 0, ExportJvmInfo = exportJvmInfo };
        return StartAsync(options, server);
    }

    private static async Task<PrometheusMetricsProvider> StartAsync(PrometheusMetricsOptions options, InProcessServer? server)
    {
        var provider = await PrometheusMetricsProvider.StartAsync(options, NullLoggerFactory.Instance);
        if (server is not null) provider.ServerSource = () => server.Server;
        return provider;
    }

    private static Uri Url(PrometheusMetricsProvider provider, string path = PrometheusMetricsProvider.Path) =>
        new($"http://127.0.0.1:{provider.EndPoint.Port}{path}");

    private static async Task<IReadOnlyDictionary<string, PrometheusFamily>> ScrapeAsync(PrometheusMetricsProvider provider)
    {
        using var response = await Http.GetAsync(Url(provider));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return PrometheusText.Parse(await response.Content.ReadAsStringAsync());
    }

    /// <summary>mntr as a connection would get it, without counting a packet (name without zk_ → value).</summary>
    private static Dictionary<string, string> Mntr(InProcessServer server) =>
        Lines(Flw.Execute("mntr", server.Server)!).Select(l => l.Split('\t')).ToDictionary(p => p[0]["zk_".Length..], p => p[1]);

    /// <summary>Two sessions, persistent and ephemeral nodes, data, reads, watches of each kind, a delete.</summary>
    private static async Task<ZooKeeperClient[]> WorkloadAsync(InProcessServer server)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var a = await server.ConnectAsync();
        var b = await server.ConnectAsync();
        await a.CreateAsync("/m", Encoding.ASCII.GetBytes("data"), Open, ct: cts.Token);
        await a.CreateAsync("/m/e", null, Open, CreateMode.Ephemeral, ct: cts.Token);
        await a.CreateAsync("/m/gone", null, Open, ct: cts.Token);
        await a.SetDataAsync("/m", Encoding.ASCII.GetBytes("more data"), ct: cts.Token);
        await a.DeleteAsync("/m/gone", ct: cts.Token);
        await a.GetDataAsync("/m", watch: true, ct: cts.Token);
        await a.ExistsAsync("/m/none", watch: true, ct: cts.Token);
        await a.GetChildrenAsync("/m", watch: true, ct: cts.Token);
        await b.GetDataAsync("/m", watch: true, ct: cts.Token);
        return [a, b];
    }

    private static async ValueTask DisposeAllAsync(IEnumerable<ZooKeeperClient> clients)
    {
        foreach (var client in clients) await client.DisposeAsync();
    }

    [Test]
    public async Task Every_mntr_value_is_on_metrics_with_javas_type()
    {
        await using var server = Start();
        await using var provider = await StartProviderAsync(server);
        var clients = await WorkloadAsync(server);
        try
        {
            var families = await ScrapeAsync(provider);
            var mntr = Mntr(server);
            Assert.That(mntr, Has.Count.GreaterThan(400), "a standalone server's mntr");
            foreach (string key in mntr.Keys.Except(TextKeys))
            {
                if (MetricCatalog.IsSummaryKey(key))
                {
                    string summary = SummaryOf(key);
                    Assert.That(families.TryGetValue(summary, out var family), Is.True, key);
                    Assert.That(family!.Type, Is.EqualTo("summary"), key);
                    Assert.That(family.Samples.Select(s => s.Name), Is.SupersetOf(new[] { summary + "_count", summary + "_sum" }), key);
                }
                else
                {
                    Assert.That(families.TryGetValue(key, out var family), Is.True, key);
                    Assert.That(family!.Type, Is.EqualTo(MetricNames.Counters.Contains(key) ? "counter" : "gauge"), key);
                    Assert.That(family.Samples, Has.Count.EqualTo(1), key);
                }
            }
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Test]
    public async Task Gauges_and_counters_agree_with_mntr_at_the_same_moment()
    {
        await using var server = Start();
        await using var provider = await StartProviderAsync(server);
        var clients = await WorkloadAsync(server);
        try
        {
            // Pings may land at any time: a scrape between two equal mntr readings saw that same state.
            for (int attempt = 0; ; attempt++)
            {
                var before = Mntr(server);
                var families = await ScrapeAsync(provider);
                var after = Mntr(server);
                var stable = before.Keys.Where(k => k != "uptime" && before[k] == after[k]).ToHashSet();
                if (stable.Count != before.Count - 1)
                {
                    Assert.That(attempt, Is.LessThan(20), "mntr never held still around a scrape");
                    continue;
                }
                foreach (string key in before.Keys.Except(TextKeys).Where(k => !MetricCatalog.IsSummaryKey(k)))
                {
                    double scraped = families[key].Value();
                    if (key == "uptime")
                    {
                        Assert.That(scraped, Is.InRange(double.Parse(before[key], CultureInfo.InvariantCulture), double.Parse(after[key], CultureInfo.InvariantCulture)));
                        continue;
                    }
                    Assert.That(scraped, Is.EqualTo(double.Parse(before[key], CultureInfo.InvariantCulture)), key);
                }
                // Java counts the root twice ("" and "/"), then /zookeeper, its config and quota, /m and /m/e.
                Assert.That(families["znode_count"].Value(), Is.EqualTo(7));
                Assert.That(families["ephemerals_count"].Value(), Is.EqualTo(1));
                Assert.That(families["global_sessions"].Value(), Is.EqualTo(2));
                Assert.That(families["num_alive_connections"].Value(), Is.EqualTo(2));
                Assert.That(families["watch_count"].Value(), Is.EqualTo(4));
                break;
            }
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Test]
    public async Task Every_java_counter_summary_and_set_has_javas_type_and_quantiles()
    {
        await using var provider = await StartProviderAsync(server: null);
        var families = await ScrapeAsync(provider);
        foreach (string counter in MetricNames.Counters)
        {
            Assert.That(families[counter].Type, Is.EqualTo("counter"), counter);
            Assert.That(families[counter].Value(), Is.Zero, counter);
        }
        foreach (string summary in MetricNames.Summaries) AssertSummary(families[summary], ["0.5"]);
        foreach (string summary in MetricNames.PercentileSummaries) AssertSummary(families[summary], ["0.5", "0.9", "0.99"]);
        foreach (var (set, _) in MetricCatalog.SummarySets) Assert.That(families[set].Type, Is.EqualTo("summary"), set);
        foreach (string set in MetricCatalog.CounterSets) Assert.That(families[set].Type, Is.EqualTo("counter"), set);
        foreach (string set in MetricCatalog.GaugeSets) Assert.That(families[set].Type, Is.EqualTo("gauge"), set);
        Assert.That(families.Values.Where(f => f.Name != f.Help), Is.Empty, "Java's help text is the name");

        static void AssertSummary(PrometheusFamily family, string[] quantiles)
        {
            Assert.That(family.Type, Is.EqualTo("summary"), family.Name);
            Assert.That(family.Quantiles, Is.EquivalentTo(quantiles), family.Name);
            // No observation yet: quantiles are NaN and the count 0, as Java's simpleclient writes them.
            Assert.That(family.Samples.Where(s => s.Label("quantile") is not null).Select(s => s.Value), Has.All.NaN, family.Name);
            Assert.That(family.Value(family.Name + "_count"), Is.Zero, family.Name);
            Assert.That(family.Value(family.Name + "_sum"), Is.Zero, family.Name);
        }
    }

    [Test]
    public async Task Request_latencies_feed_readlatency_and_updatelatency()
    {
        await using var provider = await StartProviderAsync(server: null);
        var start = await ScrapeAsync(provider);
        ServerMetrics.RecordRequestLatency(hasTxn: false, 3);
        ServerMetrics.RecordRequestLatency(hasTxn: false, 5);
        ServerMetrics.RecordRequestLatency(hasTxn: true, 7);
        ServerMetrics.RecordRequestLatency(hasTxn: true, -1);
        var end = await ScrapeAsync(provider);

        double Delta(string sample)
        {
            string family = sample[..sample.LastIndexOf('_')];
            return end[family].Value(sample) - start[family].Value(sample);
        }
        Assert.That(Delta("readlatency_count"), Is.EqualTo(2));
        Assert.That(Delta("readlatency_sum"), Is.EqualTo(8));
        Assert.That(Delta("updatelatency_count"), Is.EqualTo(1), "a negative latency is dropped");
        Assert.That(Delta("updatelatency_sum"), Is.EqualTo(7));
        var median = end["updatelatency"].Samples.Single(s => s.Label("quantile") == "0.5");
        Assert.That(median.Value, Is.Not.NaN);
    }

    [Test]
    public async Task Gauges_leave_while_no_server_serves_and_counters_stay()
    {
        await using var server = Start();
        await using var provider = await StartProviderAsync(server);
        var serving = await ScrapeAsync(provider);
        Assert.That(serving["znode_count"].Samples, Has.Count.EqualTo(1));

        provider.ServerSource = () => null;
        var electing = await ScrapeAsync(provider);
        Assert.That(electing.TryGetValue("znode_count", out var gone) ? gone.Samples : [], Is.Empty);
        Assert.That(electing["uptime"].Samples, Is.Empty);
        Assert.That(electing["proposal_count"].Samples, Has.Count.EqualTo(1));
        Assert.That(electing["readlatency"].Samples, Is.Not.Empty);

        provider.ServerSource = () => server.Server;
        var back = await ScrapeAsync(provider);
        Assert.That(back["znode_count"].Value(), Is.EqualTo(serving["znode_count"].Value()));
    }

    [Test]
    public async Task Only_metrics_is_served_and_always_in_text_format_0_0_4()
    {
        await using var provider = await StartProviderAsync(server: null);
        foreach (string path in new[] { "/", "/metrics/", "/Metrics", "/commands" })
        {
            using var other = await Http.GetAsync(Url(provider, path));
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), path);
        }

        // Java's simpleclient 0.9 knows no OpenMetrics: a Prometheus server asking for it gets 0.0.4.
        using var request = new HttpRequestMessage(HttpMethod.Get, Url(provider));
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/openmetrics-text; version=1.0.0"));
        using var response = await Http.SendAsync(request);
        Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/plain; version=0.0.4; charset=utf-8"));
        var families = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(families["proposal_count"].Samples.Single().Name, Is.EqualTo("proposal_count"), "no _total suffix");
    }

    [Test]
    public async Task ExportJvmInfo_adds_the_runtimes_own_metrics()
    {
        await using (var without = await StartProviderAsync(server: null, exportJvmInfo: false))
        {
            Assert.That((await ScrapeAsync(without)).Keys, Has.None.StartWith("process_"));
        }
        await using var with = await StartProviderAsync(server: null, exportJvmInfo: true);
        var families = await ScrapeAsync(with);
        Assert.That(families["process_cpu_seconds_total"].Type, Is.EqualTo("counter"));
        Assert.That(families["process_start_time_seconds"].Value(), Is.GreaterThan(0));
    }

    [Test]
    public async Task A_port_in_use_stops_the_provider_from_starting()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var options = new PrometheusMetricsOptions { HttpHost = "127.0.0.1", HttpPort = port };
        Assert.That(async () => await PrometheusMetricsProvider.StartAsync(options, NullLoggerFactory.Instance),
            Throws.TypeOf<MetricsProviderLifeCycleException>());
        var outOfRange = options with { HttpPort = 70000 };
        Assert.That(async () => await PrometheusMetricsProvider.StartAsync(outOfRange, NullLoggerFactory.Instance),
            Throws.TypeOf<MetricsProviderLifeCycleException>());
    }

    [Test]
    public async Task The_default_provider_starts_no_endpoint()
    {
        var options = new ServerOptions();
        Assert.That(await MetricsProviderBootstrap.StartAsync(options, NullLoggerFactory.Instance), Is.Null);

        var prometheus = options with
        {
            MetricsProviderClassName = ServerOptions.PrometheusMetricsProvider,
            MetricsProviderConfiguration = new Dictionary<string, string> { ["httpHost"] = "127.0.0.1", ["httpPort"] = "0" },
        };
        await using var provider = await MetricsProviderBootstrap.StartAsync(prometheus, NullLoggerFactory.Instance);
        Assert.That(provider, Is.Not.Null);
        Assert.That(provider!.EndPoint.Port, Is.Not.Zero);
        Assert.That(provider.Options.ExportJvmInfo, Is.True);
    }

    /// <summary>The summary an mntr key (avg_x, p99_x, ...) belongs to.</summary>
    private static string SummaryOf(string key) => key[(key.IndexOf('_') + 1)..];
}
