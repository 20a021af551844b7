using ZkCompat.Server.Config;
using ZkCompat.Server.Network.Commands;
using ZkCompat.Server.Quorum.Peer;

namespace ZkCompat.Server.Admin;

/// <summary>What a command may look at: the serving server (null when none), the peer, and the URL's arguments.</summary>
public sealed class AdminCommandContext(ServerOptions options, ZooKeeperServer? server, QuorumPeer? peer, long leaderId,
    IReadOnlyDictionary<string, string> arguments)
{
    public ServerOptions Options { get; } = options;

    /// <summary>The server clients are served by now; null while a quorum peer elects or syncs.</summary>
    public ZooKeeperServer? Server { get; } = server;

    public QuorumPeer? Peer { get; } = peer;

    /// <summary>The sid of the leader this peer follows or is (-1 when unknown).</summary>
    public long LeaderId { get; } = leaderId;

    /// <summary>Query parameters, the first value of each (Java's <c>kwargs</c>).</summary>
    public IReadOnlyDictionary<string, string> Arguments { get; } = arguments;

    /// <summary>The server, for commands that only run while one serves.</summary>
    public ZooKeeperServer Serving => Server ?? throw new InvalidOperationException("no server is serving");

    /// <summary>The four-letter words' view of the server, whose data functions the commands share.</summary>
    public FourLetterWordContext Words => new(Serving, requester: null);

    /// <summary>Java's <c>instanceof QuorumZooKeeperServer</c>: a leader, follower or observer (not standalone or read-only).</summary>
    public bool IsQuorumServer => Server?.ServerState is "leader" or "follower" or "observer";

    public bool IsLeader => Server?.ServerState == "leader";
}

/// <summary>One command: its names (primary first), whether it needs a serving server, and what it puts in the answer.</summary>
public sealed record AdminCommand(IReadOnlyList<string> Names, bool ServerRequired, Action<AdminCommandContext, CommandResponse> Run)
{
    public string PrimaryName => Names[0];
}

/// <summary>
/// The registry of Java 3.8.0's <c>Commands</c>: every command under each of its names, run the way
/// <c>Commands.runCommand</c> runs them (unknown name, server not serving, then the command).
/// </summary>
public static class AdminCommands
{
    /// <summary>Java's <c>ZK_NOT_SERVING</c> answer for a command that needs a running server.</summary>
    public const string NotServing = FourLetterWordContext.NotServing;

    private static readonly AdminCommand[] All =
    [
        new(["connection_stat_reset", "crst"], true, ServerCommands.ConnectionStatReset),
        new(["configuration", "conf", "config"], true, ServerCommands.Configuration),
        new(["connections", "cons"], true, ServerCommands.Connections),
        new(["hash"], true, ServerCommands.Digests),
        new(["dirs"], true, ServerCommands.Dirs),
        new(["dump"], true, ServerCommands.Dump),
        new(["environment", "env", "envi"], false, ServerCommands.Environment),
        new(["get_trace_mask", "gtmk"], false, ServerCommands.GetTraceMask),
        new(["initial_configuration", "icfg"], true, ServerCommands.InitialConfiguration),
        new(["is_read_only", "isro"], true, ServerCommands.IsReadOnly),
        new(["last_snapshot", "lsnp"], true, ServerCommands.LastSnapshot),
        new(["leader", "lead"], true, QuorumCommands.Leader),
        new(["monitor", "mntr"], false, ServerCommands.Monitor),
        new(["observer_connection_stat_reset", "orst"], true, QuorumCommands.ObserverConnectionStatReset),
        new(["ruok"], true, static (_, _) => { }),
        new(["set_trace_mask", "stmk"], false, ServerCommands.SetTraceMask),
        new(["server_stats", "srvr"], true, (c, r) => ServerCommands.ServerStats(c, r, withConnections: false)),
        new(["stats", "stat"], true, (c, r) => ServerCommands.ServerStats(c, r, withConnections: true)),
        new(["stat_reset", "srst"], true, ServerCommands.StatReset),
        new(["observers", "obsr"], true, QuorumCommands.Observers),
        new(["system_properties", "sysp"], false, ServerCommands.SystemProperties),
        new(["voting_view"], true, QuorumCommands.VotingView),
        new(["watches", "wchc"], true, ServerCommands.WatchesByConnection),
        new(["watches_by_path", "wchp"], true, ServerCommands.WatchesByPath),
        new(["watch_summary", "wchs"], true, ServerCommands.WatchSummary),
        new(["zabstate"], false, QuorumCommands.ZabState),
    ];

    private static readonly Dictionary<string, AdminCommand> ByName =
        All.SelectMany(c => c.Names.Select(n => (n, c))).ToDictionary(p => p.n, p => p.c, StringComparer.Ordinal);

    /// <summary>The primary names, sorted as the command list page shows them.</summary>
    public static IReadOnlyList<string> PrimaryNames { get; } = All.Select(c => c.PrimaryName).Order(StringComparer.Ordinal).ToArray();

    public static AdminCommand? Get(string name) => ByName.GetValueOrDefault(name);

    /// <summary>
    /// Runs <paramref name="name"/>: an unknown name or a server-bound command with no serving server is
    /// answered with an error under the name as asked; otherwise the command answers under its primary name.
    /// </summary>
    public static CommandResponse Run(string name, AdminCommandContext context)
    {
        if (Get(name) is not { } command) return new CommandResponse(name, "Unknown command: " + name);
        if (command.ServerRequired && context.Server is null) return new CommandResponse(name, NotServing);
        var response = new CommandResponse(command.PrimaryName);
        command.Run(context, response);
        return response;
    }
}
