using ZkCompat.Server.Config;
using ZkCompat.Server.Metrics;

namespace ZkCompat.Server.Tests.Metrics;

public class PrometheusMetricsOptionsTests
{
    private static PrometheusMetricsOptions Parse(params (string Key, string Value)[] entries) =>
        PrometheusMetricsOptions.Parse(entries.ToDictionary(e => e.Key, e => e.Value));

    [Test]
    public void Javas_defaults()
    {
        var o = Parse();
        Assert.That((o.HttpHost, o.HttpPort, o.ExportJvmInfo), Is.EqualTo(("0.0.0.0", 7000, true)));
        Assert.That((o.NumWorkerThreads, o.MaxQueueSize, o.WorkerShutdownTimeoutMs), Is.EqualTo((1, 1000000, 1000L)));
    }

    [Test]
    public void Keys_as_java_reads_them()
    {
        var o = Parse(("httpHost", "127.0.0.1"), ("httpPort", "7071"), ("exportJvmInfo", "FALSE"), ("numWorkerThreads", "0"),
            ("maxQueueSize", "10"), ("workerShutdownTimeoutMs", "5"));
        Assert.That((o.HttpHost, o.HttpPort, o.ExportJvmInfo), Is.EqualTo(("127.0.0.1", 7071, false)));
        Assert.That((o.NumWorkerThreads, o.MaxQueueSize, o.WorkerShutdownTimeoutMs), Is.EqualTo((0, 10, 5L)));
    }

    [TestCase("true", true)]
    [TestCase("TRUE", true)]
    [TestCase("yes", false)]
    [TestCase("", false)]
    public void ExportJvmInfo_is_Boolean_parseBoolean(string text, bool expected) =>
        Assert.That(Parse(("exportJvmInfo", text)).ExportJvmInfo, Is.EqualTo(expected));

    [TestCase("httpPort", "abc")]
    [TestCase("httpPort", "0x1b58")]
    [TestCase("httpPort", "99999999999")]
    [TestCase("maxQueueSize", "")]
    [TestCase("workerShutdownTimeoutMs", "1s")]
    public void A_number_java_cannot_parse_stops_the_server(string key, string value)
    {
        var e = Assert.Throws<ConfigException>(() => Parse((key, value)));
        Assert.That(e!.Key, Is.EqualTo("metricsProvider." + key));
        Assert.That(e.Message, Does.Contain($"For input string: \"{value}\""));
    }

    [Test]
    public void Zoo_cfg_checks_the_prometheus_keys_only_for_that_provider()
    {
        const string Base = "dataDir=/tmp/zk-metrics-test\nclientPort=2181\nmetricsProvider.httpPort=abc\n";
        Assert.That(() => ConfigLoader.Parse(Base, new Dictionary<string, string>(), configDirectory: null), Throws.Nothing);
        Assert.That(() => ConfigLoader.Parse(Base + "metricsProvider.className=" + ServerOptions.PrometheusMetricsProvider + "\n",
                new Dictionary<string, string>(), configDirectory: null),
            Throws.TypeOf<ConfigException>().With.Property(nameof(ConfigException.Key)).EqualTo("metricsProvider.httpPort"));
    }
}
