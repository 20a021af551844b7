using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Client;
using ZkCompat.Server.Config;
using ZkCompat.Server.Network;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Peer;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum.Peer;

/// <summary>
/// A leader election that is told the outcome: lets a test drive the Zab roles without FLE's timing.
/// Each round takes the next scripted result (the last one repeats).
/// </summary>
internal sealed class ScriptedElection(long myId, bool observer, params long[] leaders) : ILeaderElection
{
    private int _round;

    public long LastEpoch { get; private set; }

    public Task<ElectionResult> LookForLeaderAsync(long lastLoggedZxid, long currentEpoch, CancellationToken ct)
    {
        long leader = leaders[Math.Min(_round++, leaders.Length - 1)];
        var state = leader == myId ? ServerState.Leading : observer ? ServerState.Observing : ServerState.Following;
        return Task.FromResult(new ElectionResult(state, leader, _round, new Vote(leader, lastLoggedZxid, _round, currentEpoch)));
    }

    public void UpdateElectionVote(long epoch) => LastEpoch = epoch;
}

/// <summary>One quorum peer in the test process: its own dataDir, client port and quorum port on loopback.</summary>
internal sealed class PeerNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ElectionDriver? _driver;
    private Task? _run;

    /// <summary>A peer that runs fast leader election on its election port.</summary>
    public PeerNode(ServerOptions options, ILoggerFactory loggers) : this(options, (ILeaderElection?)null, loggers)
    {
    }

    public PeerNode(ServerOptions options, ILeaderElection? election, ILoggerFactory loggers)
        : this(options, new TcpPeerNetwork(), election, loggers, null)
    {
    }

    /// <summary>
    /// A peer running fast leader election whose election and quorum ports are on <paramref name="network"/>
    /// (say, its own view of an in-memory network); the client port stays on loopback TCP.
    /// <paramref name="servingChanged"/> hears every change of <see cref="QuorumPeer.Serving"/> (on the role's
    /// thread, after the client port was repointed), so a test can record roles and epochs as they happen.
    /// </summary>
    public PeerNode(ServerOptions options, IPeerNetwork network, ILoggerFactory loggers,
        Action<PeerNode, ZooKeeperServer?, ZooKeeperServer?>? servingChanged = null)
        : this(options, network, null, loggers, servingChanged)
    {
    }

    private PeerNode(ServerOptions options, IPeerNetwork network, ILeaderElection? election, ILoggerFactory loggers,
        Action<PeerNode, ZooKeeperServer?, ZooKeeperServer?>? servingChanged)
    {
        Options = options;
        Database = new ZkDatabase(options, TimeProvider.System, loggers);
        Database.LoadDataBase();
        if (election is null)
        {
            _driver = ElectionDriver.Create(options, network, TimeProvider.System, loggers);
            election = new DriverElection(_driver);
        }
        Peer = new QuorumPeer(options, Database, network, election, TimeProvider.System, loggers);
        Listener = new ClientListener(() => Peer.Serving, options, new IPEndPoint(IPAddress.Loopback, options.ClientPort), loggers);
        Peer.ServingChanged = (old, now) =>
        {
            if (old is not null) Listener.CloseConnectionsOf(old);
            if (now is not null) now.ConnectionSource = () => Listener.ConnectionsOf(now);
            servingChanged?.Invoke(this, old, now);
            Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
        };
    }

    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes the next time this peer starts or stops serving.</summary>
    public Task NextChange => Volatile.Read(ref _changed).Task;

    /// <summary>Waits, on the peers' own serving events, until <paramref name="condition"/> holds.</summary>
    public static async Task WaitUntilAsync(IReadOnlyCollection<PeerNode> nodes, Func<bool> condition, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var changes = nodes.Select(n => n.NextChange).ToArray();
            if (condition()) return;
            await Task.WhenAny(changes).WaitAsync(cts.Token);
        }
    }

    public ServerOptions Options { get; }
    public ZkDatabase Database { get; }
    public QuorumPeer Peer { get; }
    public ClientListener Listener { get; }
    public string ConnectString => $"127.0.0.1:{Options.ClientPort}";

    public void Start()
    {
        Listener.Start();
        _driver?.Start();
        _run = Task.Run(() => Peer.RunAsync(_stop.Token));
    }

    /// <summary>Stops the peer as a crash would look to the others (sockets close), keeping its dataDir.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
            }
        }
        await Listener.DisposeAsync();
        if (_driver is not null) await _driver.DisposeAsync();
        Database.Dispose();
        _stop.Dispose();
    }
}

/// <summary>Builds zoo.cfg + myid for N peers on free loopback ports.</summary>
internal static class EnsembleConfig
{
    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>Options for servers 1..count (observers listed by sid); dataDirs under <paramref name="root"/>.</summary>
    public static ServerOptions[] Create(string root, int count, IReadOnlyDictionary<string, string>? properties = null, params long[] observers) =>
        Create(root, count, properties, "", observers);

    /// <summary>As above, with extra zoo.cfg lines (e.g. reconfigEnabled=true).</summary>
    public static ServerOptions[] Create(string root, int count, IReadOnlyDictionary<string, string>? properties, string extraCfg, params long[] observers)
    {
        var lines = new List<string>();
        var clientPorts = new int[count + 1];
        for (int sid = 1; sid <= count; sid++)
        {
            clientPorts[sid] = FreePort();
            string type = observers.Contains(sid) ? ":observer" : ":participant";
            lines.Add($"server.{sid}=127.0.0.1:{FreePort()}:{FreePort()}{type};127.0.0.1:{clientPorts[sid]}");
        }
        var result = new ServerOptions[count];
        for (int sid = 1; sid <= count; sid++)
        {
            string dataDir = Path.Combine(root, $"s{sid}");
            Directory.CreateDirectory(dataDir);
            File.WriteAllText(Path.Combine(dataDir, "myid"), sid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            string cfg = $"tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir={dataDir}\nclientPort={clientPorts[sid]}\nclientPortAddress=127.0.0.1\n"
                + (observers.Contains(sid) ? "peerType=observer\n" : "") + extraCfg
                + string.Join("\n", lines) + "\n";
            result[sid - 1] = ConfigLoader.Parse(cfg, properties ?? new Dictionary<string, string> { ["zookeeper.4lw.commands.whitelist"] = "*" }, dataDir);
        }
        return result;
    }
}
