using System.Collections.Concurrent;
using System.Globalization;
using ZkCompat.Server.Config;
using ZkCompat.Server.Tests.Quorum.Peer;
using ZkCompat.Server.Tests.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>A leadership as seen through <c>ServingChanged</c>: who started serving as leader, of which epoch.</summary>
internal sealed record LeaderTerm(long Sid, long Epoch, long StartZxid, double AtSeconds);

/// <summary>
/// N whole peers in this process for chaos runs: election and quorum ports on one
/// <see cref="InMemoryPeerNetwork"/> (each peer its own view, wrapped in <see cref="SlowLinks"/>), client
/// ports on loopback TCP, real dataDirs under a temp folder, tickTime 100 ms. Faults come from
/// <see cref="ChaosStep"/>s; every role change is recorded so leadership per epoch can be checked.
/// </summary>
internal sealed class ChaosEnsemble : IAsyncDisposable
{
    public const int TickTime = 100;
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(20);

    private readonly ServerOptions[] _options;
    private readonly PeerNode?[] _nodes;
    private readonly bool[] _wedged;
    private readonly ConcurrentQueue<LeaderTerm> _leaders = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChaosEnsemble(int peers, int seed, string root, ChaosLog log)
    {
        PeerCount = peers;
        Log = log;
        Network = new InMemoryPeerNetwork(seed);
        Links = new SlowLinks(seed);
        _options = CreateOptions(root, peers);
        _nodes = new PeerNode?[peers + 1];
        _wedged = new bool[peers + 1];
    }

    public int PeerCount { get; }
    public ChaosLog Log { get; }
    public InMemoryPeerNetwork Network { get; }
    public SlowLinks Links { get; }

    /// <summary>Every leadership that started serving, in order.</summary>
    public IReadOnlyList<LeaderTerm> Leaders => _leaders.ToArray();

    /// <summary>What went wrong in the harness's view of the peers (hangs, crashes of the run loop, restart failures).</summary>
    public IReadOnlyList<string> Violations => _violations.ToArray();

    public IEnumerable<long> Sids => Enumerable.Range(1, PeerCount).Select(i => (long)i);

    public IReadOnlyList<long> Up => Sids.Where(s => _nodes[s] is not null).ToArray();

    public IReadOnlyList<long> Down => Sids.Where(s => _nodes[s] is null && !_wedged[s]).ToArray();

    public PeerNode? this[long sid] => _nodes[sid];

    public static string HostOf(long sid) => "server" + sid.ToString(CultureInfo.InvariantCulture);

    public string ConnectString(long sid) => $"127.0.0.1:{_options[sid - 1].ClientPort}";

    /// <summary>The peer serving as leader; of several (a stale one not yet stepped down), the newest epoch's.</summary>
    public PeerNode? CurrentLeader =>
        Up.Select(s => _nodes[s]).OfType<PeerNode>()
            .Where(n => n.Peer.Serving?.ServerState == "leader")
            .OrderByDescending(n => n.Peer.CurrentLeader?.Epoch ?? -1)
            .FirstOrDefault();

    /// <summary>Every peer serves, one as leader and the rest as followers.</summary>
    public bool IsStable
    {
        get
        {
            if (Up.Count != PeerCount) return false;
            var states = Sids.Select(s => _nodes[s]?.Peer.Serving?.ServerState).ToArray();
            return states.Count(s => s == "leader") == 1 && states.Count(s => s == "follower") == PeerCount - 1;
        }
    }

    public string Describe() => string.Join(", ", Sids.Select(s =>
        _nodes[s] is { } n ? $"s{s}:{n.Peer.Serving?.ServerState ?? n.Peer.State.ToString().ToLowerInvariant()}@0x{n.Database.Tree.LastProcessedZxid:x}"
        : _wedged[s] ? $"s{s}:wedged" : $"s{s}:down"));

    private static ServerOptions[] CreateOptions(string root, int count)
    {
        // Election and quorum ports live on the in-memory network, so every host can use 3888/2888;
        // the client ports are real loopback ports.
        var clientPorts = Enumerable.Range(0, count + 1).Select(_ => EnsembleConfig.FreePort()).ToArray();
        var servers = Enumerable.Range(1, count).Select(sid => $"server.{sid}={HostOf(sid)}:2888:3888:participant;127.0.0.1:{clientPorts[sid]}");
        var properties = new Dictionary<string, string>
        {
            // A peer cut off for a while must not back off for Java's full minute once healed.
            ["zookeeper.fastleader.maxNotificationInterval"] = "1000",
            // The page cache outlives an in-process crash, so fsync buys nothing here but time.
            ["zookeeper.forceSync"] = "no",
            // Snapshots and log rolls happen during the run, so restarts restore from both.
            ["zookeeper.snapCount"] = "200",
        };
        var result = new ServerOptions[count];
        for (int sid = 1; sid <= count; sid++)
        {
            string dataDir = Path.Combine(root, $"s{sid}");
            Directory.CreateDirectory(dataDir);
            File.WriteAllText(Path.Combine(dataDir, "myid"), sid.ToString(CultureInfo.InvariantCulture));
            string cfg = $"tickTime={TickTime}\ninitLimit=10\nsyncLimit=5\ndataDir={dataDir}\nclientPort={clientPorts[sid]}\nclientPortAddress=127.0.0.1\n"
                + string.Join("\n", servers) + "\n";
            result[sid - 1] = ConfigLoader.Parse(cfg, properties, dataDir);
        }
        return result;
    }

    public void StartAll()
    {
        foreach (long sid in Sids) Start(sid);
    }

    private void Start(long sid)
    {
        string host = HostOf(sid);
        Network.Restart(host);
        try
        {
            var node = new PeerNode(_options[sid - 1], Links.Wrap(host, Network.ViewFor(host)), Log.For($"s{sid}"), OnServingChanged);
            _nodes[sid] = node;
            node.Start();
            Log.Write("chaos", $"s{sid} started at zxid 0x{node.Database.Tree.LastProcessedZxid:x}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _wedged[sid] = true;
            Violation($"s{sid} could not start on its dataDir: {e}");
        }
        Pulse();
    }

    /// <summary>The peer drops off the network at once (as a crash looks to the others), then its process stops.</summary>
    public async Task CrashAsync(long sid)
    {
        var node = _nodes[sid] ?? throw new InvalidOperationException($"s{sid} is not up");
        _nodes[sid] = null;
        Network.Crash(HostOf(sid));
        Log.Write("chaos", $"s{sid} crashed ({node.Peer.Serving?.ServerState ?? "not serving"}, zxid 0x{node.Database.Tree.LastProcessedZxid:x})");
        try
        {
            await node.DisposeAsync().AsTask().WaitAsync(StopPatience).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // It still holds its dataDir and client port: it can never come back in this run.
            _wedged[sid] = true;
            Violation($"s{sid} did not stop within {StopPatience.TotalSeconds} s of being crashed (a hang in its shutdown)");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Violation($"s{sid}'s run loop had failed: {e}");
        }
        Pulse();
    }

    public void Restart(long sid)
    {
        if (_nodes[sid] is not null || _wedged[sid]) throw new InvalidOperationException($"s{sid} is not down");
        Start(sid);
    }

    /// <summary>Applies one step; returns what it did in terms of sids, for the schedule's printout.</summary>
    public async Task<string> ApplyAsync(ChaosStep step)
    {
        var shuffle = new Random(step.Pick);
        long[] all = Sids.ToArray();
        switch (step.Fault)
        {
            case ChaosFault.Crash:
            {
                var up = Up;
                if (up.Count <= 1) return "skipped: one peer up";
                long sid = up[step.Pick % up.Count];
                await CrashAsync(sid).ConfigureAwait(false);
                return $"crashed s{sid}";
            }
            case ChaosFault.Restart:
            {
                var down = Down;
                if (down.Count == 0) return "skipped: none down";
                long sid = down[step.Pick % down.Count];
                Restart(sid);
                return $"restarted s{sid}";
            }
            case ChaosFault.Bounce:
            {
                long sid = all[step.Pick % all.Length];
                if (_wedged[sid]) return $"skipped: s{sid} wedged";
                if (_nodes[sid] is not null) await CrashAsync(sid).ConfigureAwait(false);
                if (_wedged[sid]) return $"s{sid} did not stop";
                Restart(sid);
                return $"bounced s{sid}";
            }
            case ChaosFault.CrashLeader:
            {
                var leader = CurrentLeader;
                if (leader is null) return "skipped: no leader";
                long sid = leader.Options.ServerId;
                await CrashAsync(sid).ConfigureAwait(false);
                return $"crashed leader s{sid}";
            }
            case ChaosFault.PartitionMinority:
            {
                var side = all.OrderBy(_ => shuffle.Next()).Take(step.Size).Order().ToArray();
                return Partition(side);
            }
            case ChaosFault.IsolateLeader:
            {
                var leader = CurrentLeader;
                if (leader is null)
                {
                    var side = all.OrderBy(_ => shuffle.Next()).Take(step.Size).Order().ToArray();
                    return "no leader; " + Partition(side);
                }
                long sid = leader.Options.ServerId;
                var others = all.Where(s => s != sid).OrderBy(_ => shuffle.Next()).Take(step.Size - 1);
                return $"leader s{sid}; " + Partition(others.Append(sid).Order().ToArray());
            }
            case ChaosFault.Heal:
                Network.HealAll();
                Network.DropRate = 0;
                Links.Clear();
                return "healed partitions and links";
            case ChaosFault.FlakyConnects:
                Network.DropRate = step.Rate;
                return $"refusing {step.Rate:P0} of new peer connections";
            case ChaosFault.SlowPeer:
            {
                long sid = all[step.Pick % all.Length];
                Links.Slow(HostOf(sid), step.DelayMs);
                return $"s{sid} writes up to {step.DelayMs} ms late";
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step.Fault, null);
        }
    }

    private string Partition(long[] side)
    {
        var rest = Sids.Except(side).ToArray();
        // A new split replaces the old one, so the schedule moves between network shapes.
        Network.HealAll();
        Network.Partition(side.Select(HostOf), rest.Select(HostOf));
        return $"partitioned {{{string.Join(",", side.Select(s => "s" + s))}}} from {{{string.Join(",", rest.Select(s => "s" + s))}}}";
    }

    /// <summary>Heals the network and links and starts every crashed peer again.</summary>
    public void HealEverything()
    {
        Network.HealAll();
        Network.DropRate = 0;
        Links.Clear();
        foreach (long sid in Down) Restart(sid);
        Log.Write("chaos", "healed everything; all peers up");
    }

    /// <summary>Waits, on role changes, until <see cref="IsStable"/>; false on timeout.</summary>
    public async Task<bool> WaitStableAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            var next = Volatile.Read(ref _changed).Task;
            if (IsStable) return true;
            try
            {
                await next.WaitAsync(cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Completes on the next role change anywhere, or after <paramref name="atMost"/>.</summary>
    public async Task NextChangeOrAsync(TimeSpan atMost, CancellationToken ct)
    {
        try
        {
            await Volatile.Read(ref _changed).Task.WaitAsync(atMost, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void OnServingChanged(PeerNode node, ZooKeeperServer? old, ZooKeeperServer? now)
    {
        long sid = node.Options.ServerId;
        long zxid = node.Database.Tree.LastProcessedZxid;
        if (now is null)
        {
            Log.Write("chaos", $"s{sid} stopped serving as {old?.ServerState} at zxid 0x{zxid:x}");
        }
        else if (now.ServerState == "leader")
        {
            long epoch = node.Peer.CurrentLeader?.Epoch ?? -1;
            _leaders.Enqueue(new LeaderTerm(sid, epoch, zxid, Log.Elapsed.TotalSeconds));
            Log.Write("chaos", $"s{sid} serving as LEADER of epoch {epoch} from zxid 0x{zxid:x}");
            if (zxid >> 32 != epoch) Violation($"s{sid} leads epoch {epoch} but its tree starts at zxid 0x{zxid:x}");
        }
        else
        {
            Log.Write("chaos", $"s{sid} serving as {now.ServerState} at zxid 0x{zxid:x}");
        }
        Pulse();
    }

    private void Pulse() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private void Violation(string what)
    {
        _violations.Enqueue(what);
        Log.Write("chaos", "VIOLATION " + what);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (long sid in Up)
        {
            var node = _nodes[sid]!;
            _nodes[sid] = null;
            try
            {
                await node.DisposeAsync().AsTask().WaitAsync(StopPatience).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Violation($"s{sid} did not stop within {StopPatience.TotalSeconds} s at the end of the run");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Violation($"s{sid}'s run loop had failed: {e}");
            }
        }
    }
}
