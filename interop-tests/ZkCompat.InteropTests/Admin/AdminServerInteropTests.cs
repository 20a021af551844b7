using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Admin;

/// <summary>
/// The AdminServer of a Java 3.8 standalone server (Jetty) and of ZkCompat's (Kestrel) after the same
/// small workload: every command's JSON must have Java's fields, recursively, with the same JSON types,
/// and the same values wherever they do not depend on time, ids, ports, paths or load. The command list
/// and the HTTP edges (unknown command, 404, 405, 403, HEAD) must match too.
/// </summary>
[Category("Interop")]
[CancelAfter(180_000)]
public class AdminServerInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly IReadOnlyList<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    /// <summary>Every command by its primary name; the resets go last so the others see the workload's counters.</summary>
    private static readonly string[] Commands =
    [
        "configuration", "connections", "dirs", "dump", "environment", "get_trace_mask", "hash", "initial_configuration",
        "is_read_only", "last_snapshot", "leader", "monitor", "observers", "ruok", "server_stats", "stats", "system_properties",
        "voting_view", "watch_summary", "watches", "watches_by_path", "zabstate",
        "set_trace_mask", "set_trace_mask?traceMask=abc", "set_trace_mask?traceMask=306", "lead", "nope",
        "connection_stat_reset", "stat_reset", "observer_connection_stat_reset",
    ];

    /// <summary>Answers that depend on nothing but the state the workload leaves: the same bytes from both.</summary>
    private static readonly string[] SameBytes =
    [
        "get_trace_mask", "hash", "is_read_only", "leader", "observers", "ruok", "voting_view", "watch_summary", "zabstate",
        "set_trace_mask", "set_trace_mask?traceMask=abc", "set_trace_mask?traceMask=306", "lead", "nope",
        "connection_stat_reset", "stat_reset", "observer_connection_stat_reset",
    ];

    /// <summary>Objects keyed by session ids or times: their keys are replaced by one placeholder.</summary>
    private static readonly string[] IdKeyedObjects =
    [
        "dump.expiry_time_to_session_ids", "dump.session_id_to_ephemeral_paths", "watches.session_id_to_watched_paths",
    ];

    private sealed record Http(int Status, string? ContentType, long? ContentLength, string Body);

    private sealed record Answers(Dictionary<string, Http> Responses, string ZooCfg, int ClientPort, int AdminPort, string DataDir);

    [Test]
    public async Task Every_command_has_javas_shape_and_values()
    {
        var (java, zkCompat) = await BothServers.RunAsync(ScenarioAsync, _ => { }, Configure);
        var j = java.Result;
        var z = zkCompat.Result;
        var failures = new List<string>();

        foreach (string command in Commands)
        {
            var jr = j.Responses[command];
            var zr = z.Responses[command];
            if (zr.Status != jr.Status || zr.ContentType != jr.ContentType)
            {
                failures.Add($"{command}: HTTP {zr.Status} {zr.ContentType}, Java {jr.Status} {jr.ContentType}");
                continue;
            }
            if (SameBytes.Contains(command))
            {
                if (zr.Body != jr.Body) failures.Add($"{command}: body differs\n{TextDiff.Unified(jr.Body, zr.Body)}");
                continue;
            }
            string name = command.Split('?')[0];
            using var jd = JsonDocument.Parse(jr.Body);
            using var zd = JsonDocument.Parse(zr.Body);
            string javaShape = Shape(name, jd.RootElement, j);
            string ourShape = Shape(name, zd.RootElement, z);
            await TestContext.Out.WriteLineAsync($"--- {command}: fields ---\n{ourShape}");
            if (ourShape != javaShape)
                failures.Add($"{command}: fields differ\n{TextDiff.Unified(javaShape, ourShape)}");
            failures.AddRange(CompareValues(name, jd.RootElement, zd.RootElement, j, z).Select(f => $"{command}: {f}"));
        }

        var list = (j.Responses["/commands"], z.Responses["/commands"]);
        if (list.Item1 != list.Item2) failures.Add($"command list differs\n{TextDiff.Unified(list.Item1.Body, list.Item2.Body)}");
        foreach (string edge in new[] { "/commands/", "/other", "POST /commands/ruok", "TRACE /commands/ruok", "HEAD /commands/ruok" })
        {
            var (je, ze) = (j.Responses[edge], z.Responses[edge]);
            if (ze.Status != je.Status) failures.Add($"{edge}: HTTP {ze.Status}, Java {je.Status}");
        }
        if (z.Responses["HEAD /commands/ruok"].ContentLength != j.Responses["HEAD /commands/ruok"].ContentLength)
            failures.Add("HEAD /commands/ruok: Content-Length differs");

        Assert.That(failures, Is.Empty, string.Join("\n\n", failures));
    }

    private static void Configure(ZooCfg cfg)
    {
        cfg.AdminEnableServer = true;
        cfg.Set("admin.serverAddress", "127.0.0.1");
        cfg.Set("admin.serverPort", FreePort.OnLoopback().ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Two sessions, a node with an ephemeral child, data, exists and child watches; then every URL.</summary>
    private static async Task<Answers> ScenarioAsync(IZooKeeperProcess server)
    {
        using var cts = new CancellationTokenSource(Timeout);
        int adminPort = int.Parse(server.Config.Extra.Single(kv => kv.Key == "admin.serverPort").Value, CultureInfo.InvariantCulture);
        var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(30) };
        await using var a = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, cts.Token);
        await using var b = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, cts.Token);
        await a.CreateAsync("/fl", Encoding.ASCII.GetBytes("data"), Open, ct: cts.Token);
        await a.CreateAsync("/fl/e1", null, Open, CreateMode.Ephemeral, ct: cts.Token);
        await a.GetDataAsync("/fl", watch: true, ct: cts.Token);
        await a.ExistsAsync("/fl/none", watch: true, ct: cts.Token);
        await a.GetChildrenAsync("/fl", watch: true, ct: cts.Token);
        await b.GetDataAsync("/fl", watch: true, ct: cts.Token);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{adminPort}"), Timeout = Timeout };
        var responses = new Dictionary<string, Http>(StringComparer.Ordinal);
        try
        {
            responses["/commands"] = await SendAsync(http, HttpMethod.Get, "/commands", cts.Token);
        }
        catch (HttpRequestException e)
        {
            // Never skipped: a Java without Jetty's servlet API on its classpath runs no AdminServer.
            Assert.Fail($"{server.Kind}'s AdminServer does not answer on port {adminPort} ({e.Message}). For Java, servlet-api.jar " +
                $"(Debian package libservlet-api-java) and the jetty9/jackson jars (libjetty9-java, libjackson2-*) must be installed.\n" +
                $"--- server log ---\n{server.LogText}");
        }
        foreach (string command in Commands) responses[command] = await SendAsync(http, HttpMethod.Get, "/commands/" + command, cts.Token);
        responses["/commands/"] = await SendAsync(http, HttpMethod.Get, "/commands/", cts.Token);
        responses["/other"] = await SendAsync(http, HttpMethod.Get, "/other", cts.Token);
        responses["POST /commands/ruok"] = await SendAsync(http, HttpMethod.Post, "/commands/ruok", cts.Token);
        responses["TRACE /commands/ruok"] = await SendAsync(http, HttpMethod.Trace, "/commands/ruok", cts.Token);
        responses["HEAD /commands/ruok"] = await SendAsync(http, HttpMethod.Head, "/commands/ruok", cts.Token);
        string zooCfg = await File.ReadAllTextAsync(((ZooKeeperProcessBase)server).ConfigPath, cts.Token);
        return new Answers(responses, zooCfg, server.Port, adminPort, server.DataDir);
    }

    private static async Task<Http> SendAsync(HttpClient http, HttpMethod method, string url, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        if (method == HttpMethod.Post) request.Content = new StringContent("");
        using var response = await http.SendAsync(request, ct);
        string body = await response.Content.ReadAsStringAsync(ct);
        return new Http((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, response.Content.Headers.ContentLength, body);
    }

    /// <summary>
    /// The fields and JSON types of an answer, recursively, one line per field: objects keyed by ids or
    /// times collapse to one <c>*</c> key, array elements merge into one shape. Where Java's set of keys
    /// depends on its JVM (system_properties) or on metrics we do not keep (mntr's per-namespace
    /// summaries), only the comparable part is kept.
    /// </summary>
    private static string Shape(string command, JsonElement root, Answers answers)
    {
        var lines = new SortedSet<string>(StringComparer.Ordinal);
        void Walk(JsonElement e, string path)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    lines.Add(path + " : object");
                    bool idKeyed = IdKeyedObjects.Contains(path);
                    foreach (var p in e.EnumerateObject())
                    {
                        if (!Keep(command, path, p.Name, answers)) continue;
                        Walk(p.Value, path + "." + (idKeyed ? "*" : p.Name));
                    }
                    break;
                case JsonValueKind.Array:
                    lines.Add(path + " : array");
                    foreach (var item in e.EnumerateArray()) Walk(item, path + "[]");
                    break;
                default:
                    lines.Add(path + " : " + e.ValueKind.ToString().ToLowerInvariant().Replace("true", "bool").Replace("false", "bool"));
                    break;
            }
        }
        Walk(root, command);
        return string.Join("\n", lines) + "\n";
    }

    private static bool Keep(string command, string path, string key, Answers answers)
    {
        if (path != command) return true;
        return command switch
        {
            "monitor" => !key.EndsWith("_per_namespace", StringComparison.Ordinal),
            // Java lists every JVM property; compare the ones zoo.cfg set (ours must all exist in Java's: checked below).
            "system_properties" => key is "command" or "error" || FromZooCfg(key, answers),
            _ => true,
        };
    }

    private static bool FromZooCfg(string property, Answers answers) =>
        property.StartsWith("zookeeper.", StringComparison.Ordinal)
        && answers.ZooCfg.Split('\n').Any(l => l.StartsWith(property["zookeeper.".Length..] + "=", StringComparison.Ordinal));

    /// <summary>Values that must agree: the configuration, the tree, the sessions and watches, the server state.</summary>
    private static IEnumerable<string> CompareValues(string command, JsonElement java, JsonElement ours, Answers j, Answers z)
    {
        IEnumerable<string> Same(params string[] paths)
        {
            foreach (string path in paths)
            {
                string jv = At(java, path), zv = At(ours, path);
                if (jv != zv) yield return $"{path} is {zv}, Java {jv}";
            }
        }

        switch (command)
        {
            case "configuration":
                foreach (var f in Same("tick_time", "max_client_cnxns", "min_session_timeout", "max_session_timeout", "server_id",
                             "client_port_listen_backlog")) yield return f;
                if (ours.GetProperty("client_port").GetInt32() != z.ClientPort) yield return "client_port is not the server's";
                if (ours.GetProperty("data_dir").GetString() != Path.Combine(z.DataDir, "version-2")) yield return "data_dir is not dataDir/version-2";
                if (ours.GetProperty("data_log_dir").GetString() != Path.Combine(z.DataDir, "version-2")) yield return "data_log_dir is not dataDir/version-2";
                break;
            case "connections":
                foreach (var f in Same("connections.length", "connections[].session_timeout", "secure_connections.length")) yield return f;
                break;
            case "dump":
                if (SessionIds(java.GetProperty("expiry_time_to_session_ids")) != SessionIds(ours.GetProperty("expiry_time_to_session_ids")))
                    yield return "expiry_time_to_session_ids holds a different number of sessions";
                foreach (var f in Same("session_id_to_ephemeral_paths.*")) yield return f;
                break;
            case "environment":
                var javaKeys = java.EnumerateObject().Select(p => p.Name).ToArray();
                var ourKeys = ours.EnumerateObject().Select(p => p.Name).ToArray();
                if (!javaKeys.SequenceEqual(ourKeys)) yield return "keys are not in Java's order";
                break;
            case "initial_configuration":
                if (ours.GetProperty("initial_configuration").GetString() != z.ZooCfg) yield return "not the zoo.cfg the server started from";
                break;
            case "last_snapshot":
                foreach (var f in Same("zxid")) yield return f;
                break;
            case "monitor":
                foreach (var f in Same("server_state", "znode_count", "watch_count", "ephemerals_count", "approximate_data_size",
                             "global_sessions", "local_sessions", "num_alive_connections", "outstanding_requests", "connection_drop_probability"))
                    yield return f;
                break;
            case "server_stats" or "stats":
                foreach (var f in Same("read_only", "node_count", "server_stats.server_state", "server_stats.last_processed_zxid",
                             "server_stats.outstanding_requests", "server_stats.provider_null", "server_stats.num_alive_client_connections",
                             "server_stats.fsync_threshold_exceed_count", "server_stats.auth_failed_count"))
                    yield return f;
                if (command == "stats")
                {
                    foreach (var f in Same("connections.length", "secure_connections.length")) yield return f;
                }
                break;
            case "system_properties":
                foreach (var p in java.EnumerateObject().Where(p => FromZooCfg(p.Name, j) && p.Name != "zookeeper.admin.serverPort"))
                {
                    if (At(ours, p.Name) != At(java, p.Name)) yield return $"{p.Name} is {At(ours, p.Name)}, Java {At(java, p.Name)}";
                }
                var javaNames = java.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var p in ours.EnumerateObject().Where(p => !javaNames.Contains(p.Name)))
                    yield return $"{p.Name} is not a property Java has";
                break;
            case "watches":
                foreach (var f in Same("session_id_to_watched_paths.*")) yield return f;
                break;
            case "watches_by_path":
                foreach (var p in java.GetProperty("path_to_session_ids").EnumerateObject())
                {
                    if (!ours.GetProperty("path_to_session_ids").TryGetProperty(p.Name, out var watchers)) yield return $"{p.Name} is not watched";
                    else if (watchers.GetArrayLength() != p.Value.GetArrayLength()) yield return $"{p.Name} has another number of watchers";
                }
                break;
        }
    }

    /// <summary>
    /// The value at a dotted path, as text: <c>x.length</c> is an array's length, <c>x[].f</c> the sorted
    /// values of f in x's elements, <c>x.*</c> the sorted values of x's fields.
    /// </summary>
    private static string At(JsonElement root, string path)
    {
        var current = new List<JsonElement> { root };
        foreach (string part in path.Split('.'))
        {
            var next = new List<JsonElement>();
            foreach (var e in current)
            {
                if (part == "length" && e.ValueKind == JsonValueKind.Array)
                {
                    next.Add(JsonDocument.Parse(e.GetArrayLength().ToString(CultureInfo.InvariantCulture)).RootElement);
                }
                else if (part == "*" && e.ValueKind == JsonValueKind.Object)
                {
                    next.AddRange(e.EnumerateObject().Select(p => p.Value));
                }
                else if (part.EndsWith("[]", StringComparison.Ordinal) && e.ValueKind == JsonValueKind.Object && e.TryGetProperty(part[..^2], out var array))
                {
                    next.AddRange(array.EnumerateArray());
                }
                else if (e.ValueKind == JsonValueKind.Object && e.TryGetProperty(part, out var value))
                {
                    next.Add(value);
                }
                else
                {
                    next.Add(JsonDocument.Parse("\"<missing>\"").RootElement);
                }
            }
            current = next;
        }
        var texts = current.Select(e => e.ValueKind == JsonValueKind.Array
            ? "[" + string.Join(",", e.EnumerateArray().Select(x => x.GetRawText()).Order(StringComparer.Ordinal)) + "]"
            : e.GetRawText());
        return string.Join(" ", texts.Order(StringComparer.Ordinal));
    }

    private static int SessionIds(JsonElement buckets) => buckets.EnumerateObject().Sum(p => p.Value.GetArrayLength());
}
