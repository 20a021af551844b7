using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// A replicated ensemble for interop tests: N servers, each its own process with its own loopback
/// ports (client, quorum, election) and data directory, each run by the implementation chosen for it
/// (so Java and ZkCompat servers can share one ensemble), some optionally observers. Servers can be
/// killed (<c>kill -9</c>), stopped and restarted on the same ports and data directory, also with the
/// other implementation. Every run's log is kept for failure messages (<see cref="DescribeLogs"/>).
/// Disposing kills every process and deletes every directory.
/// </summary>
public sealed class ZooKeeperEnsemble : IAsyncDisposable
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FourLetterWordTimeout = TimeSpan.FromSeconds(5);
    private const int MaxStartAttempts = 3;

    private readonly EnsembleNode[] _nodes;
    private bool _disposed;

    private ZooKeeperEnsemble(string rootDir, EnsembleOptions options, EnsembleNode[] nodes)
    {
        RootDir = rootDir;
        Options = options;
        _nodes = nodes;
    }

    public EnsembleOptions Options { get; }

    /// <summary>The directory holding every server's directory; deleted on dispose.</summary>
    public string RootDir { get; }

    /// <summary>The servers, by ascending server id (1, 2, ...); participants first, then observers.</summary>
    public IReadOnlyList<EnsembleNode> Nodes => _nodes;

    /// <summary>Every server's client address, <c>127.0.0.1:p1,127.0.0.1:p2,...</c>, as clients take it.</summary>
    public string ConnectString => ConnectStringOf(_nodes);

    public EnsembleNode Node(long serverId) =>
        _nodes.FirstOrDefault(n => n.ServerId == serverId) ?? throw new ArgumentOutOfRangeException(nameof(serverId), serverId, "no such server");

    public static string ConnectStringOf(IEnumerable<EnsembleNode> nodes) => string.Join(',', nodes.Select(n => n.ClientAddress));

    public string ConnectStringOf(params long[] serverIds) => ConnectStringOf(serverIds.Select(Node));

    /// <summary>Starts <paramref name="participants"/> participants and <paramref name="observers"/> observers, all of <paramref name="kind"/>.</summary>
    public static Task<ZooKeeperEnsemble> StartAsync(ServerKind kind, int participants, int observers = 0, EnsembleOptions? options = null,
        CancellationToken cancellationToken = default) =>
        StartAsync([.. Enumerable.Repeat(EnsembleMember.Participant(kind), participants), .. Enumerable.Repeat(EnsembleMember.Observer(kind), observers)],
            options, cancellationToken);

    /// <summary>
    /// Starts one server per member (server ids 1, 2, ... in the order given), all at once, and waits
    /// for the quorum (<see cref="WaitForQuorumAsync"/>). Fails the test, with every server's log, if
    /// no quorum forms. A port taken between choosing and binding is retried with fresh ports.
    /// </summary>
    public static async Task<ZooKeeperEnsemble> StartAsync(IReadOnlyList<EnsembleMember> members, EnsembleOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        if (members.Count == 0) throw new ArgumentException("an ensemble needs servers", nameof(members));
        options ??= new EnsembleOptions();
        for (int attempt = 1; ; attempt++)
        {
            string root = Path.Combine(Path.GetTempPath(), $"zkcompat-ensemble-{Guid.NewGuid():N}");
            Directory.CreateDirectory(root);
            var ports = FreePort.OnLoopback(3 * members.Count);
            var nodes = members.Select((m, i) => new EnsembleNode(i + 1, m.IsObserver, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2],
                Path.Combine(root, $"server{i + 1}"))).ToArray();
            var ensemble = new ZooKeeperEnsemble(root, options, nodes);
            string? failure;
            try
            {
                for (int i = 0; i < nodes.Length; i++)
                {
                    nodes[i].Config = ensemble.ConfigFor(nodes[i]);
                    nodes[i].AddProcess(ensemble.CreateProcess(nodes[i], members[i].Kind));
                }
                await Task.WhenAll(nodes.Select(n => n.Process.LaunchAsync(cancellationToken))).ConfigureAwait(false);
                foreach (var node in nodes) node.IsUp = true;
                (_, failure) = await ensemble.TryWaitForQuorumAsync(options.QuorumTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await ensemble.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            if (failure is null) return ensemble;

            bool portTaken = nodes.Any(n => n.LogText.Contains("Address already in use", StringComparison.OrdinalIgnoreCase));
            await ensemble.DisposeAsync().ConfigureAwait(false);
            if (portTaken && attempt < MaxStartAttempts)
            {
                await TestContext.Progress.WriteLineAsync($"ensemble start {attempt}: a port was taken before a server bound it; retrying with fresh ports")
                    .ConfigureAwait(false);
                continue;
            }
            Assert.Fail(failure);
        }
    }

    /// <summary>
    /// Waits until every server the rig has not killed or stopped answers <c>srvr</c> as a member of one
    /// quorum: participants as <c>leader</c> or <c>follower</c>, observers as <c>observer</c>, exactly
    /// one leader, which counts every running follower and observer as synced. Fails the test at once
    /// when a server exits on its own or runs standalone, and after <paramref name="timeout"/> (default
    /// <see cref="EnsembleOptions.QuorumTimeout"/>), with each server's last answer and log.
    /// </summary>
    public async Task<QuorumState> WaitForQuorumAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var (state, failure) = await TryWaitForQuorumAsync(timeout ?? Options.QuorumTimeout, cancellationToken).ConfigureAwait(false);
        if (failure is not null) Assert.Fail(failure);
        return state!;
    }

    /// <summary>As <see cref="WaitForQuorumAsync"/>, but says what went wrong instead of failing the test.</summary>
    private async Task<(QuorumState? State, string? Failure)> TryWaitForQuorumAsync(TimeSpan limit, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            var up = _nodes.Where(n => n.IsUp).ToList();
            if (up.Count == 0) throw new InvalidOperationException("every server is down");
            var states = await Task.WhenAll(up.Select(n => QueryAsync(n, cancellationToken))).ConfigureAwait(false);

            if (states.FirstOrDefault(s => s.Node.Process.HasExited) is { } exited)
                return (null, DescribeFailure($"{exited.Node} exited on its own (code {exited.Node.Process.CurrentExitCode})", states));
            if (states.FirstOrDefault(s => s.Mode == "standalone") is { } standalone)
                return (null, DescribeFailure($"{standalone.Node} runs standalone although its zoo.cfg lists an ensemble", states));
            if (states.FirstOrDefault(s => s.Mode is not null && s.Mode != "standalone" && s.Node.IsObserver != (s.Mode == "observer")) is { } misplaced)
                return (null, DescribeFailure($"{misplaced.Node} reports Mode: {misplaced.Mode}", states));

            var leaders = states.Where(s => s.Mode == "leader").ToList();
            bool allMembers = states.All(s => s.Mode is "leader" or "follower" or "observer");
            if (allMembers && leaders.Count == 1
                && await LeaderCountsEveryLearnerAsync(leaders[0].Node, up, cancellationToken).ConfigureAwait(false))
            {
                return (new QuorumState(leaders[0].Node, states), null);
            }
            if (elapsed.Elapsed > limit)
                return (null, DescribeFailure($"no quorum of the running servers within {limit.TotalSeconds:F0}s", states));
            // Polling srvr is the only way to see a role change from outside the process.
            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The leader of the running servers, once they form a quorum.</summary>
    public async Task<EnsembleNode> LeaderAsync(CancellationToken cancellationToken = default) =>
        (await WaitForQuorumAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Leader;

    /// <summary><c>kill -9</c> of server <paramref name="serverId"/>.</summary>
    public async Task KillAsync(long serverId)
    {
        var node = Node(serverId);
        node.IsUp = false;
        await node.Process.KillAsync().ConfigureAwait(false);
    }

    /// <summary>Clean stop (SIGTERM) of server <paramref name="serverId"/>; fails the test if it does not exit.</summary>
    public async Task StopAsync(long serverId, CancellationToken cancellationToken = default)
    {
        var node = Node(serverId);
        node.IsUp = false;
        await node.Process.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Starts killed or stopped server <paramref name="serverId"/> again on its ports and data directory,
    /// run by <paramref name="kind"/> (default: as before). With <paramref name="waitForQuorum"/> it
    /// waits until the server serves and the running servers form a quorum; without, it returns once
    /// launched (for a server whose quorum needs further restarts).
    /// </summary>
    public async Task RestartAsync(long serverId, ServerKind? kind = null, bool waitForQuorum = true, CancellationToken cancellationToken = default)
    {
        var node = Node(serverId);
        if (!node.Process.HasExited) throw new InvalidOperationException($"{node} is still running; kill or stop it first");
        if (kind is null || kind == node.Kind)
        {
            node.Process.Relaunch();
        }
        else
        {
            node.AddProcess(CreateProcess(node, kind.Value));
            await node.Process.LaunchAsync(cancellationToken).ConfigureAwait(false);
        }
        node.IsUp = true;
        if (!waitForQuorum) return;
        if (await node.Process.WaitForServingAsync(cancellationToken).ConfigureAwait(false) is { } failure)
            Assert.Fail($"{node} after restart: {failure}\n{DescribeLogs()}");
        await WaitForQuorumAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Every server's state and the last <paramref name="tailLines"/> lines of its log (all runs), for failure messages.</summary>
    public string DescribeLogs(int tailLines = 60)
    {
        var sb = new StringBuilder();
        foreach (var node in _nodes)
        {
            string state = node.IsUp ? (node.Process.HasExited ? $"exited, code {node.Process.CurrentExitCode}" : "running") : "down (rig)";
            sb.Append("===== ").Append(node).Append(", ").Append(state).Append(", dataDir ").Append(node.DataDir)
                .Append(", command: ").Append(node.Process.CommandLine).Append(" =====\n");
            string[] lines = node.LogText.Split('\n').Where(l => !IsPollingNoise(l)).ToArray();
            if (lines.Length > tailLines) sb.Append("... (").Append(lines.Length - tailLines).Append(" earlier lines)\n");
            sb.Append(string.Join('\n', lines.Skip(Math.Max(0, lines.Length - tailLines)))).Append('\n');
        }
        return sb.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await Task.WhenAll(_nodes.SelectMany(n => n.Processes).Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        try
        {
            if (Directory.Exists(RootDir)) Directory.Delete(RootDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await TestContext.Progress.WriteLineAsync($"could not delete {RootDir}: {e.Message}").ConfigureAwait(false);
        }
    }

    /// <summary>One <c>srvr</c> answer: the mode and zxid it reports, or what went wrong.</summary>
    public static async Task<PeerState> QueryAsync(EnsembleNode node, CancellationToken cancellationToken = default)
    {
        string answer;
        try
        {
            answer = await FourLetterWordClient.SendAsync(node.ClientPort, "srvr", FourLetterWordTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new PeerState(node, null, null, $"no answer: {e.Message}");
        }
        return new PeerState(node, Field(answer, "Mode: "), ParseZxid(Field(answer, "Zxid: ")), answer.Trim());
    }

    private static string? Field(string answer, string prefix) =>
        answer.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();

    private static long? ParseZxid(string? text) =>
        text is not null && text.StartsWith("0x", StringComparison.Ordinal)
        && long.TryParse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long zxid)
            ? zxid
            : null;

    /// <summary>
    /// srvr cannot tell which leader a follower follows (a follower of a dead leader may not have noticed
    /// yet), and Java's followers report zxid 0 until the first write, so the epoch cannot tell either.
    /// The leader's mntr can: every running follower and observer must be synced with it. A server
    /// whose mntr lacks those gauges is taken at its srvr word (the four-letter-word tests judge mntr).
    /// </summary>
    private static async Task<bool> LeaderCountsEveryLearnerAsync(EnsembleNode leader, IReadOnlyList<EnsembleNode> up, CancellationToken cancellationToken)
    {
        string mntr;
        try
        {
            mntr = await FourLetterWordClient.SendAsync(leader.ClientPort, "mntr", FourLetterWordTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        var values = mntr.Split('\n').Select(l => l.Split('\t')).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1].Trim());
        int followers = up.Count(n => !n.IsObserver) - 1;
        int observers = up.Count(n => n.IsObserver);
        bool Matches(string key, int expected) =>
            !values.TryGetValue(key, out string? value) || value == expected.ToString(CultureInfo.InvariantCulture);
        return Matches("zk_synced_followers", followers) && Matches("zk_synced_observers", observers);
    }

    // The rig's own polling makes Java log a line per four-letter word; they would crowd out the tail.
    private static bool IsPollingNoise(string line) =>
        line.Contains(" command from /", StringComparison.Ordinal) && line.Contains("Processing ", StringComparison.Ordinal);

    private string DescribeFailure(string problem, IEnumerable<PeerState> states) =>
        $"Ensemble: {problem}.\nLast srvr answers:\n" +
        string.Join('\n', states.Select(s => $"  {s.Node}: {(s.Mode is null ? s.Answer.Split('\n')[0] : $"Mode: {s.Mode}, Zxid: 0x{s.Zxid:x}")}")) +
        $"\n{DescribeLogs()}";

    private ZooCfg ConfigFor(EnsembleNode node)
    {
        var cfg = new ZooCfg { TickTime = Options.TickTime };
        cfg.Set("initLimit", Options.InitLimit.ToString(CultureInfo.InvariantCulture));
        cfg.Set("syncLimit", Options.SyncLimit.ToString(CultureInfo.InvariantCulture));
        cfg.Set("maxSessionTimeout", Options.MaxSessionTimeout.ToString(CultureInfo.InvariantCulture));
        Options.Configure?.Invoke(cfg);
        // Java takes the role from the server list; peerType says the same for readers of the file.
        if (node.IsObserver) cfg.Set("peerType", "observer");
        foreach (var member in _nodes) cfg.Set($"server.{member.ServerId}", member.ServerLineValue);
        cfg.ClientPort = node.ClientPort;
        cfg.DataDir = node.DataDir;
        return cfg;
    }

    private QuorumPeerProcess CreateProcess(EnsembleNode node, ServerKind kind) =>
        QuorumPeerProcess.Create(kind, node.ServerId, node.Config, Path.Combine(node.Directory, $"conf{node.Processes.Count + 1}-{kind}"),
            Options.SystemProperties);
}

/// <summary>
/// One server of a <see cref="ZooKeeperEnsemble"/>: its id, ports and data directory, fixed for the
/// ensemble's life, and the process running it now (replaced when it restarts with another implementation).
/// </summary>
public sealed class EnsembleNode
{
    private readonly List<QuorumPeerProcess> _processes = [];

    internal EnsembleNode(long serverId, bool isObserver, int clientPort, int quorumPort, int electionPort, string directory)
    {
        ServerId = serverId;
        IsObserver = isObserver;
        ClientPort = clientPort;
        QuorumPort = quorumPort;
        ElectionPort = electionPort;
        Directory = directory;
        DataDir = Path.Combine(directory, "data");
    }

    public long ServerId { get; }

    public bool IsObserver { get; }

    public int ClientPort { get; }

    /// <summary>The port followers and observers connect to when this server leads.</summary>
    public int QuorumPort { get; }

    /// <summary>The leader election port.</summary>
    public int ElectionPort { get; }

    /// <summary><c>127.0.0.1:clientPort</c>.</summary>
    public string ClientAddress => $"127.0.0.1:{ClientPort}";

    /// <summary>This server's directory: its data directory and one configuration directory per implementation run.</summary>
    public string Directory { get; }

    public string DataDir { get; }

    /// <summary>The <c>server.N</c> value every server's zoo.cfg lists for this one.</summary>
    public string ServerLineValue =>
        $"127.0.0.1:{QuorumPort}:{ElectionPort}{(IsObserver ? ":observer" : "")};{ClientAddress}";

    /// <summary>Which implementation runs this server now.</summary>
    public ServerKind Kind => Process.Kind;

    /// <summary>The process running this server now (or last, if it is down).</summary>
    public QuorumPeerProcess Process => _processes[^1];

    /// <summary>Every process that ran this server, oldest first (more than one after a restart with another kind).</summary>
    public IReadOnlyList<QuorumPeerProcess> Processes => _processes;

    /// <summary>False while the rig has this server killed or stopped.</summary>
    public bool IsUp { get; internal set; }

    internal ZooCfg Config { get; set; } = null!;

    /// <summary>Every run's log, across implementations.</summary>
    public string LogText => _processes.Count == 1
        ? _processes[0].LogText
        : string.Join('\n', _processes.Select(p => $"##### {p.Kind} #####\n{p.LogText}"));

    public Task<string> FourLetterWordAsync(string word, CancellationToken cancellationToken = default) =>
        Process.FourLetterWordAsync(word, cancellationToken);

    internal void AddProcess(QuorumPeerProcess process) => _processes.Add(process);

    public override string ToString() => $"server.{ServerId} ({Kind}{(IsObserver ? ", observer" : "")}, {ClientAddress})";
}

/// <summary>A server's answer to <c>srvr</c>: <see cref="Mode"/> and <see cref="Zxid"/> when it serves, else null and why in <see cref="Answer"/>.</summary>
public sealed record PeerState(EnsembleNode Node, string? Mode, long? Zxid, string Answer);

/// <summary>The running servers as one quorum: its leader and what each server answered.</summary>
public sealed record QuorumState(EnsembleNode Leader, IReadOnlyList<PeerState> Peers)
{
    /// <summary>The running servers following the leader (not observers).</summary>
    public IReadOnlyList<EnsembleNode> Followers => Peers.Where(p => p.Mode == "follower").Select(p => p.Node).ToList();

    public IReadOnlyList<EnsembleNode> Observers => Peers.Where(p => p.Mode == "observer").Select(p => p.Node).ToList();
}
