using System.Globalization;
using System.Net;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Network.Commands;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Admin;

/// <summary>
/// The commands every server answers (Java's <c>Commands</c> inner classes), built from the same data
/// functions as the four-letter words so both report the same numbers.
/// </summary>
public static class ServerCommands
{
    private static readonly string[] StringMonitorKeys = ["version", "server_state", "peer_state"];

    public static void ConnectionStatReset(AdminCommandContext c, CommandResponse r)
    {
        foreach (var cnxn in c.Words.Connections) cnxn.Stats.Reset();
    }

    /// <summary>ZooKeeperServerConf.toMap: the snapshot folder is data_dir, the log folder data_log_dir.</summary>
    public static void Configuration(AdminCommandContext c, CommandResponse r)
    {
        var words = c.Words;
        var o = c.Serving.Options;
        r.Put("client_port", ClientPort(o));
        r.Put("data_dir", ConfCommand.SnapDir(words));
        r.Put("data_log_dir", ConfCommand.LogDir(words));
        r.Put("tick_time", o.TickTime);
        r.Put("max_client_cnxns", o.MaxClientCnxns);
        r.Put("min_session_timeout", o.EffectiveMinSessionTimeout);
        r.Put("max_session_timeout", o.EffectiveMaxSessionTimeout);
        // A standalone server reports id 0 whatever myid says; a quorum peer its myid.
        r.Put("server_id", o.IsDistributed ? o.ServerId : 0L);
        r.Put("client_port_listen_backlog", o.ClientPortListenBacklog);
    }

    public static void Connections(AdminCommandContext c, CommandResponse r)
    {
        r.Put("connections", c.Words.Connections.Select(cnxn => ConnectionInfo(cnxn, brief: false)).ToList());
        // No TLS client port: Java's empty list for a missing secure factory.
        r.Put("secure_connections", Array.Empty<object>());
    }

    /// <summary>hash: the digest log is not kept (see the four-letter word), so it is Java's empty list.</summary>
    public static void Digests(AdminCommandContext c, CommandResponse r) => r.Put("digests", Array.Empty<object>());

    public static void Dirs(AdminCommandContext c, CommandResponse r)
    {
        var words = c.Words;
        r.Put("datadir_size", ConfCommand.DataDirSize(words));
        r.Put("logdir_size", ConfCommand.LogDirSize(words));
    }

    public static void Dump(AdminCommandContext c, CommandResponse r)
    {
        var server = c.Serving;
        var expiry = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        // Learners and read-only servers track sessions for the leader (LearnerSessionTracker): no buckets.
        if (server.Role.ExpiresSessions && !server.Role.ReadOnly)
        {
            foreach (var (time, ids) in DumpCommand.SessionBuckets(server)) expiry[Key(time)] = ids;
        }
        r.Put("expiry_time_to_session_ids", expiry);
        var ephemerals = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (session, paths) in server.Tree.GetAllEphemerals().OrderBy(e => e.Key))
            ephemerals[Key(session)] = paths.Order(StringComparer.Ordinal).ToList();
        r.Put("session_id_to_ephemeral_paths", ephemerals);
    }

    public static void Environment(AdminCommandContext c, CommandResponse r)
    {
        foreach (var (key, value) in EnvCommand.List()) r.Put(key, value);
    }

    /// <summary>Java keeps one static mask; ours is per server, and the default while none serves.</summary>
    public static void GetTraceMask(AdminCommandContext c, CommandResponse r) =>
        r.Put("tracemask", c.Server is { } server ? SimpleCommands.GetTraceMask(server) : SimpleCommands.DefaultTraceMask);

    public static void SetTraceMask(AdminCommandContext c, CommandResponse r)
    {
        if (!c.Arguments.TryGetValue("traceMask", out string? text))
        {
            r.Put("error", "setTraceMask requires long traceMask argument");
            return;
        }
        // Long.parseLong: an optional sign and decimal digits, nothing else.
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long mask))
        {
            r.Put("error", "setTraceMask requires long traceMask argument, got " + text);
            return;
        }
        if (c.Server is { } server) SimpleCommands.SetTraceMask(server, mask);
        r.Put("tracemask", mask);
    }

    /// <summary>The configuration text the server started from.</summary>
    public static void InitialConfiguration(AdminCommandContext c, CommandResponse r) =>
        r.Put("initial_configuration", c.Serving.Options.InitialConfig);

    public static void IsReadOnly(AdminCommandContext c, CommandResponse r) => r.Put("read_only", c.Serving.Role.ReadOnly);

    /// <summary>
    /// The newest snapshot in the snapshot folder: the one this server last wrote or restored from, as
    /// Java's <c>getLastSnapshotInfo</c>; its zxid in hex and its modification time in seconds.
    /// Without one, Java's answer for none: zxid -1 and timestamp -1.
    /// </summary>
    public static void LastSnapshot(AdminCommandContext c, CommandResponse r)
    {
        FileInfo? newest = null;
        long zxid = -1;
        if (c.Serving.Database?.SnapLog.SnapDir is { } dir)
        {
            foreach (var file in DataDirFiles.SortByZxid(dir, DataDirFiles.SnapshotPrefix, ascending: false))
            {
                long fileZxid = DataDirFiles.GetZxidFromName(file.Name, DataDirFiles.SnapshotPrefix);
                if (fileZxid < 0) continue;
                newest = file;
                zxid = fileZxid;
                break;
            }
        }
        r.Put("zxid", JavaFormat.Hex(zxid));
        r.Put("timestamp", newest is null ? -1L : new DateTimeOffset(newest.LastWriteTimeUtc).ToUnixTimeMilliseconds() / 1000);
    }

    /// <summary>
    /// mntr's values, numbers as numbers. Java does not require a server here and fails inside the
    /// command when none serves; so does this (the HTTP layer answers 500).
    /// </summary>
    public static void Monitor(AdminCommandContext c, CommandResponse r)
    {
        if (c.Server is null) throw new InvalidOperationException("mntr needs a serving server: " + AdminCommands.NotServing);
        foreach (var (key, value) in MonitorCommand.Values(c.Words))
            r.Put(key, StringMonitorKeys.Contains(key) ? value : JsonNumber.FromText(value));
    }

    /// <summary>srvr and stat: Java's ServerStats bean, the client response sizes, a leader's proposal sizes, the node count.</summary>
    public static void ServerStats(AdminCommandContext c, CommandResponse r, bool withConnections)
    {
        var server = c.Serving;
        var words = c.Words;
        var stats = server.Stats;
        // mntr's gauges are the source for what ServerStats and mntr share.
        var monitor = MonitorCommand.Values(words).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        long Gauge(string name) =>
            monitor.TryGetValue(name, out string? text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : 0;
        var clientResponse = BufferStats(Gauge("last_client_response_size"), Gauge("min_client_response_size"), Gauge("max_client_response_size"));

        r.Put("version", FourLetterWords.Version);
        r.Put("read_only", server.Role.ReadOnly);
        r.Put("server_stats", new OrderedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["packets_sent"] = stats.PacketsSent,
            ["packets_received"] = stats.PacketsReceived,
            ["fsync_threshold_exceed_count"] = Gauge("fsync_threshold_exceed_count"),
            ["client_response_stats"] = clientResponse,
            ["data_dir_size"] = ConfCommand.DataDirSize(words),
            ["log_dir_size"] = ConfCommand.LogDirSize(words),
            ["provider_null"] = false,
            ["server_state"] = server.ServerState,
            ["last_processed_zxid"] = server.Tree.LastProcessedZxid,
            ["outstanding_requests"] = (long)server.OutstandingRequests,
            ["avg_latency"] = new JsonNumber(StatCommand.AvgLatency(stats)),
            ["max_latency"] = stats.MaxLatency,
            ["min_latency"] = stats.MinLatency,
            ["num_alive_client_connections"] = words.Connections.Count,
            ["uptime"] = Gauge("uptime"),
            ["auth_failed_count"] = Gauge("auth_failed_count"),
            ["non_mtlsremote_conn_count"] = Gauge("non_mtls_remote_conn_count"),
            ["non_mtlslocal_conn_count"] = Gauge("non_mtls_local_conn_count"),
        });
        r.Put("client_response", clientResponse);
        if (c.IsLeader)
            r.Put("proposal_stats", BufferStats(Gauge("last_proposal_size"), Gauge("min_proposal_size"), Gauge("max_proposal_size")));
        r.Put("node_count", server.Tree.NodeCount);
        if (!withConnections) return;
        r.Put("connections", words.Connections.Select(cnxn => ConnectionInfo(cnxn, brief: true)).ToList());
        r.Put("secure_connections", Array.Empty<object>());
    }

    public static void StatReset(AdminCommandContext c, CommandResponse r) => c.Serving.Stats.Reset();

    /// <summary>
    /// Java lists every JVM system property, sorted. Ours are the properties the server was given
    /// (SERVER_JVMFLAGS, -D arguments, zoo.cfg's unknown keys as zookeeper.*) and the standard ones that
    /// describe the process, with the values envi reports for them.
    /// </summary>
    public static void SystemProperties(AdminCommandContext c, CommandResponse r)
    {
        var properties = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in EnvCommand.List())
        {
            bool standard = key.StartsWith("java.", StringComparison.Ordinal) || key.StartsWith("user.", StringComparison.Ordinal)
                || (key.StartsWith("os.", StringComparison.Ordinal) && !key.StartsWith("os.memory.", StringComparison.Ordinal));
            // "<NA>" is envi's word for a property that is not set.
            if (standard && value != "<NA>") properties[key] = value;
        }
        properties["file.encoding"] = "UTF-8";
        properties["file.separator"] = Path.DirectorySeparatorChar.ToString();
        properties["line.separator"] = System.Environment.NewLine;
        properties["path.separator"] = Path.PathSeparator.ToString();
        properties["user.timezone"] = TimeZoneInfo.Local.Id;
        foreach (var (key, value) in c.Options.SystemProperties) properties[key] = value;
        foreach (var (key, value) in properties) r.Put(key, value);
    }

    /// <summary>Data watches by session (Java's <c>WatchesReport</c>), as wchc lists them.</summary>
    public static void WatchesByConnection(AdminCommandContext c, CommandResponse r)
    {
        var bySession = new SortedDictionary<long, SortedSet<string>>();
        foreach (var (watcher, paths) in c.Serving.Tree.DataWatches.WatchesByWatcher())
        {
            long session = WatchCommand.SessionOf(watcher);
            if (!bySession.TryGetValue(session, out var set)) bySession[session] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.UnionWith(paths);
        }
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (session, paths) in bySession) map[Key(session)] = paths.ToList();
        r.Put("session_id_to_watched_paths", map);
    }

    /// <summary>Sessions watching each path (Java's <c>WatchesPathReport</c>), as wchp lists them.</summary>
    public static void WatchesByPath(AdminCommandContext c, CommandResponse r)
    {
        var map = new OrderedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (path, watchers) in c.Serving.Tree.DataWatches.WatchesByPath().OrderBy(p => p.Key, StringComparer.Ordinal))
            map[path] = watchers.Select(WatchCommand.SessionOf).Distinct().Order().ToList();
        r.Put("path_to_session_ids", map);
    }

    public static void WatchSummary(AdminCommandContext c, CommandResponse r)
    {
        var summary = c.Serving.Tree.DataWatches.GetSummary();
        r.Put("num_connections", summary.Connections);
        r.Put("num_paths", summary.Paths);
        r.Put("num_total_watches", summary.TotalWatches);
    }

    /// <summary>Java's <c>ServerCnxn.getConnectionInfo</c>: the counters, and unless brief the session's.</summary>
    public static OrderedDictionary<string, object?> ConnectionInfo(ClientConnection cnxn, bool brief)
    {
        var stats = cnxn.Stats;
        var info = new OrderedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["remote_socket_address"] = AddressString(cnxn.RemoteEndPoint),
            ["interest_ops"] = Network.Commands.ConnectionInfo.InterestOps(cnxn),
            ["outstanding_requests"] = (long)stats.Outstanding,
            ["packets_received"] = stats.PacketsReceived,
            ["packets_sent"] = stats.PacketsSent,
        };
        if (brief) return info;
        info["session_id"] = cnxn.SessionId;
        info["last_operation"] = stats.LastOp;
        info["established"] = stats.Established.ToUnixTimeMilliseconds();
        info["session_timeout"] = cnxn.SessionTimeout;
        info["last_cxid"] = stats.LastCxid;
        info["last_zxid"] = stats.LastZxid;
        info["last_response_time"] = stats.LastResponseTime;
        info["last_latency"] = stats.LastLatency;
        info["min_latency"] = stats.MinLatency;
        info["avg_latency"] = stats.AvgLatency;
        info["max_latency"] = stats.MaxLatency;
        return info;
    }

    /// <summary>Jackson's <c>InetSocketAddress</c> form: <c>1.2.3.4:port</c>, <c>[v6]:port</c>; null for none.</summary>
    public static string? AddressString(IPEndPoint? endPoint) => endPoint is null ? null : JavaFormat.SocketAddress(endPoint)[1..];

    /// <summary>The client port Java's <c>getClientPort</c> reports: the configured one, -1 for none.</summary>
    public static int ClientPort(ServerOptions o) => o.ClientPort > 0 ? o.ClientPort : o.Self?.ClientPort ?? -1;

    /// <summary>Java's <c>BufferStats</c> bean.</summary>
    private static OrderedDictionary<string, object?> BufferStats(long last, long min, long max) => new(StringComparer.Ordinal)
    {
        ["last_buffer_size"] = last,
        ["min_buffer_size"] = min,
        ["max_buffer_size"] = max,
    };

    private static string Key(long value) => value.ToString(CultureInfo.InvariantCulture);
}
