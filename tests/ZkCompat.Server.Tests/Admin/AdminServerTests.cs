using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Admin;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Tests.Protocol;

namespace ZkCompat.Server.Tests.Admin;

/// <summary>
/// The AdminServer over real HTTP against an in-process standalone server: the command list, every
/// command and alias answering JSON with Java 3.8.0's fields, the error answers, and the HTTP edges
/// (404 outside the command URL, 405, 403 for TRACE, HEAD).
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class AdminServerTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    /// <summary>Each command's own fields (before command and error), in Java's order, on a standalone server.</summary>
    private static readonly Dictionary<string, string[]> StandaloneFields = new()
    {
        ["configuration"] = ["client_port", "data_dir", "data_log_dir", "tick_time", "max_client_cnxns", "min_session_timeout",
            "max_session_timeout", "server_id", "client_port_listen_backlog"],
        ["connection_stat_reset"] = [],
        ["connections"] = ["connections", "secure_connections"],
        ["dirs"] = ["datadir_size", "logdir_size"],
        ["dump"] = ["expiry_time_to_session_ids", "session_id_to_ephemeral_paths"],
        ["get_trace_mask"] = ["tracemask"],
        ["hash"] = ["digests"],
        ["initial_configuration"] = ["initial_configuration"],
        ["is_read_only"] = ["read_only"],
        ["last_snapshot"] = ["zxid", "timestamp"],
        ["observer_connection_stat_reset"] = [],
        ["observers"] = ["synced_observers", "observers"],
        ["ruok"] = [],
        ["server_stats"] = ["version", "read_only", "server_stats", "client_response", "node_count"],
        ["stat_reset"] = [],
        ["stats"] = ["version", "read_only", "server_stats", "client_response", "node_count", "connections", "secure_connections"],
        ["voting_view"] = ["current_config"],
        ["watch_summary"] = ["num_connections", "num_paths", "num_total_watches"],
        ["watches"] = ["session_id_to_watched_paths"],
        ["watches_by_path"] = ["path_to_session_ids"],
        ["zabstate"] = ["voting", "zabstate"],
    };

    private static readonly string[] Aliases =
    [
        "crst", "conf", "config", "cons", "env", "envi", "gtmk", "icfg", "isro", "lsnp", "lead", "mntr", "orst", "stmk", "srvr",
        "stat", "srst", "obsr", "sysp", "wchc", "wchp", "wchs",
    ];

    private InProcessServer _zk = null!;
    private AdminServer _admin = null!;
    private HttpClient _http = null!;

    [SetUp]
    public async Task SetUp()
    {
        var options = new ServerOptions
        {
            TickTime = 2000,
            ClientPortAddress = "127.0.0.1",
            InitialConfig = "tickTime=2000\nclientPort=2181\n",
            AdminServerAddress = "127.0.0.1",
            AdminServerPort = 0,
            SystemProperties = new Dictionary<string, string> { ["zookeeper.admin.enableServer"] = "true" },
        };
        _zk = InProcessServer.Start(options);
        _admin = new AdminServer(options, () => _zk.Server, NullLoggerFactory.Instance);
        Assert.That(await _admin.StartAsync(), Is.True);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_admin.LocalEndPoint!.Port}") };
    }

    [TearDown]
    public async Task TearDown()
    {
        _http.Dispose();
        await _admin.DisposeAsync();
        await _zk.DisposeAsync();
    }

    private async Task<(HttpResponseMessage Response, string Body)> GetAsync(string url)
    {
        var response = await _http.GetAsync(url);
        return (response, await response.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> CommandAsync(string name)
    {
        var (response, body) = await GetAsync("/commands/" + name);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static string[] Keys(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    /// <summary>Two sessions, an ephemeral, data and exists watches: something for every command to report.</summary>
    private async Task<(ZooKeeperClient A, ZooKeeperClient B)> WorkloadAsync()
    {
        var a = await _zk.ConnectAsync();
        var b = await _zk.ConnectAsync();
        await a.CreateAsync("/app", Encoding.ASCII.GetBytes("data"), Open);
        await a.CreateAsync("/app/e", null, Open, CreateMode.Ephemeral);
        await a.GetDataAsync("/app", watch: true);
        await b.ExistsAsync("/app/none", watch: true);
        return (a, b);
    }

    [Test]
    public async Task The_command_url_lists_every_primary_name_as_a_link()
    {
        var (response, body) = await GetAsync("/commands");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType, Is.Null, "Java's servlet sets no content type for the list");
        string[] names =
        [
            "configuration", "connection_stat_reset", "connections", "dirs", "dump", "environment", "get_trace_mask", "hash",
            "initial_configuration", "is_read_only", "last_snapshot", "leader", "monitor", "observer_connection_stat_reset",
            "observers", "ruok", "server_stats", "set_trace_mask", "stat_reset", "stats", "system_properties", "voting_view",
            "watch_summary", "watches", "watches_by_path", "zabstate",
        ];
        string expected = string.Concat(names.Select(n => $"<a href=\"/commands/{n}\">{n}</a>\n<br/>\n"));
        Assert.That(body, Is.EqualTo(expected));
        Assert.That((await GetAsync("/commands/")).Body, Is.EqualTo(expected));
    }

    [Test]
    public async Task Every_command_answers_javas_fields_then_command_and_error()
    {
        var (a, b) = await WorkloadAsync();
        await using var _ = a;
        await using var __ = b;
        foreach (var (name, fields) in StandaloneFields)
        {
            var json = await CommandAsync(name);
            Assert.That(Keys(json), Is.EqualTo(fields.Append("command").Append("error").ToArray()), name);
            Assert.That(json.GetProperty("command").GetString(), Is.EqualTo(name));
            Assert.That(json.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null), name);
        }
    }

    [Test]
    public async Task Values_describe_the_server_state()
    {
        var (a, b) = await WorkloadAsync();
        await using var _ = a;
        await using var __ = b;

        var conf = await CommandAsync("configuration");
        Assert.That(conf.GetProperty("tick_time").GetInt32(), Is.EqualTo(2000));
        Assert.That(conf.GetProperty("min_session_timeout").GetInt32(), Is.EqualTo(4000));
        Assert.That(conf.GetProperty("server_id").GetInt64(), Is.Zero);

        var cons = await CommandAsync("connections");
        var connections = cons.GetProperty("connections").EnumerateArray().ToArray();
        Assert.That(connections, Has.Length.EqualTo(2));
        Assert.That(connections.Select(c => c.GetProperty("session_id").GetInt64()), Is.EquivalentTo(new[] { a.SessionId, b.SessionId }));
        Assert.That(Keys(connections[0]), Is.EqualTo(new[]
        {
            "remote_socket_address", "interest_ops", "outstanding_requests", "packets_received", "packets_sent", "session_id",
            "last_operation", "established", "session_timeout", "last_cxid", "last_zxid", "last_response_time", "last_latency",
            "min_latency", "avg_latency", "max_latency",
        }));
        Assert.That(connections[0].GetProperty("remote_socket_address").GetString(), Does.Match(@"^127\.0\.0\.1:\d+$"));

        var dump = await CommandAsync("dump");
        var buckets = dump.GetProperty("expiry_time_to_session_ids").EnumerateObject().SelectMany(p => p.Value.EnumerateArray()).Select(e => e.GetInt64());
        Assert.That(buckets, Is.EquivalentTo(new[] { a.SessionId, b.SessionId }));
        var ephemerals = dump.GetProperty("session_id_to_ephemeral_paths");
        Assert.That(ephemerals.GetProperty(a.SessionId.ToString()).EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "/app/e" }));

        var byPath = (await CommandAsync("watches_by_path")).GetProperty("path_to_session_ids");
        Assert.That(byPath.GetProperty("/app").EnumerateArray().Select(e => e.GetInt64()), Is.EqualTo(new[] { a.SessionId }));
        Assert.That(byPath.GetProperty("/app/none").EnumerateArray().Select(e => e.GetInt64()), Is.EqualTo(new[] { b.SessionId }));
        var bySession = (await CommandAsync("watches")).GetProperty("session_id_to_watched_paths");
        Assert.That(bySession.GetProperty(b.SessionId.ToString()).EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "/app/none" }));
        var summary = await CommandAsync("watch_summary");
        Assert.That(summary.GetProperty("num_connections").GetInt32(), Is.EqualTo(2));
        Assert.That(summary.GetProperty("num_paths").GetInt32(), Is.EqualTo(2));
        Assert.That(summary.GetProperty("num_total_watches").GetInt32(), Is.EqualTo(2));

        var srvr = await CommandAsync("server_stats");
        Assert.That(srvr.GetProperty("node_count").GetInt32(), Is.EqualTo(_zk.Server.Tree.NodeCount));
        Assert.That(Keys(srvr.GetProperty("server_stats")), Is.EqualTo(new[]
        {
            "packets_sent", "packets_received", "fsync_threshold_exceed_count", "client_response_stats", "data_dir_size",
            "log_dir_size", "provider_null", "server_state", "last_processed_zxid", "outstanding_requests", "avg_latency",
            "max_latency", "min_latency", "num_alive_client_connections", "uptime", "auth_failed_count",
            "non_mtlsremote_conn_count", "non_mtlslocal_conn_count",
        }));
        Assert.That(srvr.GetProperty("server_stats").GetProperty("server_state").GetString(), Is.EqualTo("standalone"));
        Assert.That(srvr.GetProperty("server_stats").GetProperty("avg_latency").ValueKind, Is.EqualTo(JsonValueKind.Number));
        Assert.That(Keys(srvr.GetProperty("client_response")), Is.EqualTo(new[] { "last_buffer_size", "min_buffer_size", "max_buffer_size" }));
        var stat = await CommandAsync("stats");
        Assert.That(Keys(stat.GetProperty("connections")[0]),
            Is.EqualTo(new[] { "remote_socket_address", "interest_ops", "outstanding_requests", "packets_received", "packets_sent" }));

        var mntr = await CommandAsync("monitor");
        var mntrKeys = Network.Commands.MonitorCommand.Values(new Network.Commands.FourLetterWordContext(_zk.Server, null)).Select(kv => kv.Key);
        Assert.That(Keys(mntr), Is.EqualTo(mntrKeys.Append("command").Append("error").ToArray()), "mntr's keys, zk_ dropped");
        Assert.That(mntr.GetProperty("version").GetString(), Is.EqualTo(Network.FourLetterWords.Version));
        Assert.That(mntr.GetProperty("server_state").GetString(), Is.EqualTo("standalone"));
        Assert.That(mntr.GetProperty("znode_count").GetInt32(), Is.EqualTo(_zk.Server.Tree.NodeCount));
        Assert.That(mntr.GetProperty("avg_latency").ValueKind, Is.EqualTo(JsonValueKind.Number));

        var envi = await CommandAsync("environment");
        Assert.That(Keys(envi), Is.EqualTo(Network.Commands.EnvCommand.List().Select(kv => kv.Key).Append("command").Append("error").ToArray()));
        var sysp = await CommandAsync("system_properties");
        Assert.That(sysp.GetProperty("zookeeper.admin.enableServer").GetString(), Is.EqualTo("true"));
        string[] props = Keys(sysp)[..^2];
        Assert.That(props, Is.EqualTo(props.Order(StringComparer.Ordinal).ToArray()), "sorted, as Java's TreeMap");

        Assert.That((await CommandAsync("initial_configuration")).GetProperty("initial_configuration").GetString(),
            Is.EqualTo("tickTime=2000\nclientPort=2181\n"));
        Assert.That((await CommandAsync("is_read_only")).GetProperty("read_only").GetBoolean(), Is.False);
        Assert.That((await CommandAsync("get_trace_mask")).GetProperty("tracemask").GetInt64(), Is.EqualTo(306));
        // No database on disk here: Java's answer for no snapshot.
        var lsnp = await CommandAsync("last_snapshot");
        Assert.That(lsnp.GetProperty("zxid").GetString(), Is.EqualTo("ffffffffffffffff"));
        Assert.That(lsnp.GetProperty("timestamp").GetInt64(), Is.EqualTo(-1));
        Assert.That((await CommandAsync("zabstate")).GetProperty("voting").GetBoolean(), Is.False);
        Assert.That((await CommandAsync("voting_view")).GetProperty("current_config").EnumerateObject(), Is.Empty);
    }

    [Test]
    public async Task Every_alias_answers_under_the_primary_name()
    {
        foreach (string alias in Aliases)
        {
            var json = await CommandAsync(alias);
            Assert.That(json.GetProperty("command").GetString(), Is.EqualTo(AdminCommands.Get(alias)!.PrimaryName), alias);
        }
    }

    [Test]
    public async Task The_json_is_jacksons_pretty_print()
    {
        var (_, ruok) = await GetAsync("/commands/ruok");
        Assert.That(ruok, Is.EqualTo("{\n  \"command\" : \"ruok\",\n  \"error\" : null\n}"));
        var (_, observers) = await GetAsync("/commands/observers");
        Assert.That(observers, Is.EqualTo("{\n  \"synced_observers\" : 0,\n  \"observers\" : [ ],\n  \"command\" : \"observers\",\n  \"error\" : null\n}"));
    }

    [Test]
    public async Task Unknown_commands_and_standalone_leader_answer_javas_errors()
    {
        var (response, body) = await GetAsync("/commands/nope");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body, Is.EqualTo("{\n  \"command\" : \"nope\",\n  \"error\" : \"Unknown command: nope\"\n}"));
        Assert.That((await GetAsync("/commands/ruok/x")).Body, Does.Contain("\"error\" : \"Unknown command: ruok/x\""));
        // The command's own error field keeps its place ahead of command.
        Assert.That((await GetAsync("/commands/lead")).Body, Is.EqualTo("{\n  \"error\" : \"server is not initialized\",\n  \"command\" : \"leader\"\n}"));
    }

    [Test]
    public async Task Set_trace_mask_takes_its_argument_from_the_query()
    {
        Assert.That((await GetAsync("/commands/set_trace_mask")).Body,
            Is.EqualTo("{\n  \"error\" : \"setTraceMask requires long traceMask argument\",\n  \"command\" : \"set_trace_mask\"\n}"));
        Assert.That((await GetAsync("/commands/stmk?traceMask=0x1")).Body,
            Does.StartWith("{\n  \"error\" : \"setTraceMask requires long traceMask argument, got 0x1\""));
        var set = await CommandAsync("stmk?traceMask=300");
        Assert.That(set.GetProperty("tracemask").GetInt64(), Is.EqualTo(300));
        Assert.That((await CommandAsync("gtmk")).GetProperty("tracemask").GetInt64(), Is.EqualTo(300));
        Assert.That(Network.Commands.SimpleCommands.GetTraceMask(_zk.Server), Is.EqualTo(300), "the same mask gtmk reads");
    }

    [Test]
    public async Task Resets_clear_the_counters_the_four_letter_words_read()
    {
        var (a, b) = await WorkloadAsync();
        await using var _ = a;
        await using var __ = b;
        Assert.That(_zk.Server.Stats.PacketsReceived, Is.GreaterThan(0));
        await CommandAsync("srst");
        Assert.That(_zk.Server.Stats.PacketsReceived, Is.Zero);
        await CommandAsync("crst");
        var connection = _zk.Listener.Connections.Single(c => c.SessionId == a.SessionId);
        Assert.That(connection.Stats.LastOp, Is.EqualTo("NA"));
    }

    [Test]
    public async Task Outside_the_command_url_and_other_methods_get_jettys_statuses()
    {
        var (notFound, page) = await GetAsync("/other");
        Assert.That(notFound.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(notFound.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/html; charset=iso-8859-1"));
        Assert.That(page, Does.Contain("HTTP ERROR 404 Not Found"));
        Assert.That((await GetAsync("/")).Response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));

        var post = await _http.PostAsync("/commands/ruok", new StringContent(""));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        var trace = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Trace, "/commands/ruok"));
        Assert.That(trace.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));

        var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/commands/ruok"));
        Assert.That(head.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(head.Content.Headers.ContentLength, Is.EqualTo(42));
        Assert.That(await head.Content.ReadAsStringAsync(), Is.Empty);
    }

    [Test]
    public async Task A_taken_port_is_logged_and_the_admin_server_stays_down()
    {
        var taken = _admin.LocalEndPoint!;
        var options = new ServerOptions { AdminServerAddress = "127.0.0.1", AdminServerPort = taken.Port };
        await using var second = new AdminServer(options, () => _zk.Server, NullLoggerFactory.Instance);
        Assert.That(await second.StartAsync(), Is.False);
        Assert.That(second.LocalEndPoint, Is.Null);
        // The first one still serves.
        Assert.That((await CommandAsync("ruok")).GetProperty("command").GetString(), Is.EqualTo("ruok"));
    }

    [Test]
    public async Task Disabled_means_no_port_at_all()
    {
        var options = new ServerOptions { AdminEnableServer = false, AdminServerAddress = "127.0.0.1", AdminServerPort = 0 };
        await using var disabled = new AdminServer(options, () => _zk.Server, NullLoggerFactory.Instance);
        Assert.That(await disabled.StartAsync(), Is.False);
        Assert.That(disabled.LocalEndPoint, Is.Null);
    }

    [Test]
    public async Task A_custom_command_url_moves_the_whole_tree()
    {
        var options = new ServerOptions { AdminServerAddress = "127.0.0.1", AdminServerPort = 0, AdminCommandUrl = "/zk" };
        await using var admin = new AdminServer(options, () => _zk.Server, NullLoggerFactory.Instance);
        Assert.That(await admin.StartAsync(), Is.True);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{admin.LocalEndPoint!.Port}") };
        Assert.That(await http.GetStringAsync("/zk"), Does.StartWith("<a href=\"/zk/configuration\">configuration</a>\n<br/>\n"));
        Assert.That(await http.GetStringAsync("/zk/ruok"), Does.Contain("\"command\" : \"ruok\""));
        Assert.That((await http.GetAsync("/commands/ruok")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Idle_connections_are_closed_after_the_idle_timeout()
    {
        var options = new ServerOptions { AdminServerAddress = "127.0.0.1", AdminServerPort = 0, AdminIdleTimeoutMs = 200 };
        await using var admin = new AdminServer(options, () => _zk.Server, NullLoggerFactory.Instance);
        Assert.That(await admin.StartAsync(), Is.True);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(admin.LocalEndPoint!);
        // Kestrel checks keep-alive once a second: the server closes the idle connection well within the limit.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        int read = await socket.ReceiveAsync(new byte[1], SocketFlags.None, cts.Token);
        Assert.That(read, Is.Zero, "closed by the server");
    }
}
