using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Network.Commands;
using static ZkCompat.Server.Tests.FourLetterWords.FourLetterWordHarness;

namespace ZkCompat.Server.Tests.FourLetterWords;

public class MonitorCommandTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    private static async Task<(string[] Lines, Dictionary<string, string> Values)> MntrAsync(ZooKeeperServer server)
    {
        string[] lines = Lines(await RunAsync(server, "mntr"));
        var values = lines.Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        return (lines, values);
    }

    [Test]
    public async Task Every_line_is_zk_name_tab_value_and_version_and_state_come_first()
    {
        await using var server = Start();
        var (lines, _) = await MntrAsync(server.Server);
        Assert.That(lines, Has.All.Match(@"^zk_[a-z0-9_]+\t[^\t]+$"));
        Assert.That(lines[0], Does.Match(@"^zk_version\t3\.8\.0-zkcompat[^,]*, built on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$"));
        Assert.That(lines[1], Is.EqualTo("zk_server_state\tstandalone"));
    }

    [Test]
    public async Task Reports_the_485_keys_of_a_java_standalone_server()
    {
        await using var server = Start();
        var (lines, values) = await MntrAsync(server.Server);
        Assert.That(lines, Has.Length.EqualTo(485));
        Assert.That(values, Has.Count.EqualTo(485), "no key twice");
        string[] gauges =
        [
            "ephemerals_count", "num_alive_connections", "avg_latency", "outstanding_requests", "znode_count",
            "global_sessions", "non_mtls_remote_conn_count", "last_client_response_size", "packets_sent",
            "packets_received", "max_client_response_size", "connection_drop_probability", "watch_count",
            "auth_failed_count", "min_latency", "max_file_descriptor_count", "approximate_data_size",
            "open_file_descriptor_count", "local_sessions", "uptime", "max_latency", "outstanding_tls_handshake",
            "min_client_response_size", "non_mtls_local_conn_count",
        ];
        Assert.That(values.Keys, Is.SupersetOf(gauges.Select(g => "zk_" + g)));
        Assert.That(values.Keys, Is.SupersetOf(MetricNames.Counters.Select(c => "zk_" + c)));
        foreach (string summary in MetricNames.PercentileSummaries)
        {
            Assert.That(values.Keys, Is.SupersetOf(new[] { "avg_", "min_", "max_", "cnt_", "sum_", "p50_", "p95_", "p99_", "p999_" }
                .Select(p => "zk_" + p + summary)));
        }
        Assert.That(values.Keys.Count(k => k.StartsWith("zk_cnt_", StringComparison.Ordinal)),
            Is.EqualTo(MetricNames.Summaries.Count + MetricNames.PercentileSummaries.Count));
    }

    [TestCase("zk_avg_latency", "0.0")]
    [TestCase("zk_min_latency", "0")]
    [TestCase("zk_max_latency", "0")]
    [TestCase("zk_packets_received", "1")]
    [TestCase("zk_packets_sent", "0")]
    [TestCase("zk_num_alive_connections", "0")]
    [TestCase("zk_outstanding_requests", "0")]
    [TestCase("zk_znode_count", "5")]
    [TestCase("zk_watch_count", "0")]
    [TestCase("zk_ephemerals_count", "0")]
    [TestCase("zk_approximate_data_size", "44")]
    [TestCase("zk_global_sessions", "0")]
    [TestCase("zk_local_sessions", "0")]
    [TestCase("zk_connection_drop_probability", "0.0")]
    [TestCase("zk_last_client_response_size", "-1")]
    [TestCase("zk_avg_fsynctime", "0.0")]
    [TestCase("zk_cnt_fsynctime", "0")]
    [TestCase("zk_p999_updatelatency", "0")]
    [TestCase("zk_proposal_count", "0")]
    public async Task Fresh_server_values_match_javas(string key, string expected)
    {
        await using var server = Start();
        var (_, values) = await MntrAsync(server.Server);
        Assert.That(values[key], Is.EqualTo(expected));
    }

    [Test]
    public async Task Gauges_follow_the_server()
    {
        await using var server = Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/m", [1, 2, 3], Open);
        await client.CreateAsync("/m/e", null, Open, CreateMode.Ephemeral);
        await client.GetDataAsync("/m", watch: true);
        await client.GetChildrenAsync("/m", watch: true);
        var (_, values) = await MntrAsync(server.Server);
        Assert.That(values["zk_znode_count"], Is.EqualTo("7"));
        Assert.That(values["zk_ephemerals_count"], Is.EqualTo("1"));
        // Both managers count: one data and one child watch.
        Assert.That(values["zk_watch_count"], Is.EqualTo("2"));
        Assert.That(values["zk_global_sessions"], Is.EqualTo("1"));
        Assert.That(values["zk_num_alive_connections"], Is.EqualTo("1"));
        // 44 for the fresh tree, plus "/m" + 3 bytes and "/m/e".
        Assert.That(values["zk_approximate_data_size"], Is.EqualTo((44 + 2 + 3 + 4).ToString()));
        Assert.That(values["zk_packets_received"], Is.EqualTo("6"));
        Assert.That(values["zk_packets_sent"], Is.EqualTo("5"));
        Assert.That(long.Parse(values["zk_uptime"]), Is.GreaterThanOrEqualTo(0));
        Assert.That(values["zk_avg_latency"], Does.Match(@"^\d+\.\d{1,4}$"));
    }

    [Test]
    public async Task File_descriptor_counts_come_from_proc()
    {
        // ZkCompat targets Linux, where mntr reads these from /proc as Java does.
        Assert.That(Directory.Exists("/proc/self/fd"), Is.True, "/proc/self/fd is missing");
        await using var server = Start();
        var (_, values) = await MntrAsync(server.Server);
        Assert.That(long.Parse(values["zk_open_file_descriptor_count"]), Is.GreaterThan(0));
        Assert.That(long.Parse(values["zk_max_file_descriptor_count"]),
            Is.GreaterThanOrEqualTo(long.Parse(values["zk_open_file_descriptor_count"])));
    }
}
