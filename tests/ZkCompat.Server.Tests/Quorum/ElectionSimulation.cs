using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Quorum;

/// <summary>
/// Several <see cref="FastLeaderElection"/> cores on an in-memory network, in one thread. A seeded Random
/// decides each message's delay (so messages overtake each other) and whether it is lost; every message
/// goes through the real wire codec. One simulated tick is <see cref="ElectionOptions.TickInterval"/>.
/// <para>
/// FLE alone may leave a server following a peer that did not win (it missed the winner's votes within
/// finalizeWait); in Java the Zab handshake then fails and the server looks again. A stand-in for that
/// does the same here: after <see cref="RejoinTicks"/>, a follower whose leader is not LEADING, or a
/// leader without a quorum of followers, starts a new election with the same log.
/// </para>
/// </summary>
internal sealed class ElectionSimulation
{
    public sealed record Network(int MaxDelayTicks, double DropRate);

    public sealed class Node(long sid, FastLeaderElection election)
    {
        public long Sid { get; } = sid;
        public FastLeaderElection Election { get; } = election;
        public bool Up { get; set; }
        public Vote InitialVote { get; set; }
        public ElectionResult? Result { get; set; }
        public long DecidedAtTick { get; set; }
    }

    private readonly Random _random;
    private readonly Network _network;
    private readonly PriorityQueue<(long From, long To, byte[] Bytes), (long At, long Seq)> _inFlight = new();
    private readonly List<string> _trace = [];
    private long _seq;

    public ElectionSimulation(int seed, QuorumMaj qv, Network network)
    {
        Seed = seed;
        _random = new Random(seed);
        _network = network;
        Nodes = qv.VotingMembers.Order().ToDictionary(sid => sid, sid => new Node(sid, new FastLeaderElection(sid, qv)));
    }

    public int Seed { get; }

    public long Now { get; private set; }

    public IReadOnlyDictionary<long, Node> Nodes { get; }

    public long MessagesSent { get; private set; }

    /// <summary>How long the Zab stand-in lets a role without a real leader or quorum stand (Java: initLimit/syncLimit).</summary>
    public long RejoinTicks { get; init; } = 200;

    /// <summary>How often the Zab stand-in sent a server back to LOOKING.</summary>
    public int Restarts { get; private set; }

    /// <summary>Starts (or restarts) a server's election with what its log and epoch file say.</summary>
    public void Boot(long sid, long lastLoggedZxid, long currentEpoch)
    {
        var node = Nodes[sid];
        node.Up = true;
        node.Result = null;
        node.InitialVote = new Vote(sid, lastLoggedZxid, 0, currentEpoch);
        Log($"boot {sid} zxid=0x{lastLoggedZxid:x} epoch={currentEpoch}");
        Handle(node, node.Election.Start(lastLoggedZxid, currentEpoch));
    }

    /// <summary>A crashed server loses everything in flight to it and says nothing more.</summary>
    public void Crash(long sid)
    {
        Nodes[sid].Up = false;
        Log($"crash {sid}");
    }

    /// <summary>Runs until <paramref name="done"/> holds or <paramref name="maxTicks"/> pass; true if it held.</summary>
    public bool RunUntil(Func<bool> done, long maxTicks)
    {
        for (long i = 0; i < maxTicks; i++)
        {
            if (done()) return true;
            RunTick();
        }
        return done();
    }

    public void RunTick()
    {
        while (_inFlight.TryPeek(out var m, out var key) && key.At <= Now)
        {
            _inFlight.Dequeue();
            var to = Nodes[m.To];
            if (!to.Up) continue;
            var n = ElectionMessages.DecodeNotification(m.Bytes.TryReadFrame(out var payload) ? payload : throw new InvalidOperationException("bad frame"));
            Log($"  {m.From}->{m.To} {n}");
            Handle(to, to.Election.Step(m.From, n));
        }
        foreach (var node in Nodes.Values.Where(n => n.Up))
            Handle(node, node.Election.Tick());
        RestartFailedRoles();
        Now++;
    }

    private void RestartFailedRoles()
    {
        foreach (var node in Nodes.Values.Where(n => n.Up && n.Result is not null && Now - n.DecidedAtTick >= RejoinTicks))
        {
            var r = node.Result!;
            bool holds = r.State == ServerState.Leading
                ? QuorumOf(node.Election.QuorumVerifier, node.Sid)
                : Nodes.TryGetValue(r.LeaderSid, out var leader) && leader.Up && leader.Result?.State == ServerState.Leading;
            if (holds) continue;
            Restarts++;
            Log($"zab stand-in: {node.Sid} gives up {r.State} {r.LeaderSid}");
            Boot(node.Sid, node.InitialVote.Zxid, node.InitialVote.PeerEpoch);
        }
    }

    private bool QuorumOf(QuorumMaj qv, long leaderSid) =>
        qv.ContainsQuorum(Nodes.Values
            .Where(n => n.Up && (n.Sid == leaderSid || (n.Result?.State == ServerState.Following && n.Result.LeaderSid == leaderSid)))
            .Select(n => n.Sid));

    /// <summary>Every running server has decided, they agree, and the leader leads.</summary>
    public bool Settled
    {
        get
        {
            var up = Nodes.Values.Where(n => n.Up).ToList();
            if (up.Any(n => n.Result is null)) return false;
            var leaders = up.Select(n => n.Result!.LeaderSid).Distinct().ToList();
            return leaders.Count == 1 && Nodes.TryGetValue(leaders[0], out var l) && l.Up && l.Result!.State == ServerState.Leading;
        }
    }

    public bool AllUpDecided => Nodes.Values.Where(n => n.Up).All(n => n.Result is not null);

    /// <summary>The last lines of the trace, for a failure message.</summary>
    public string Tail(int lines = 60) => string.Join("\n", _trace.TakeLast(lines));

    private void Handle(Node node, ElectionOutput output)
    {
        foreach (var m in output.Messages)
        {
            MessagesSent++;
            if (_random.NextDouble() < _network.DropRate)
            {
                Log($"  drop {node.Sid}->{m.ToSid} {m.Message}");
                continue;
            }
            long at = Now + _random.Next(0, _network.MaxDelayTicks + 1);
            byte[] frame = ElectionMessages.EncodeFrame(ElectionMessages.EncodeNotification(m.Message));
            _inFlight.Enqueue((node.Sid, m.ToSid, frame), (at, _seq++));
        }
        if (output.Result is { } r)
        {
            node.Result = r;
            node.DecidedAtTick = Now;
            Log($"{node.Sid} decided {r.State} leader={r.LeaderSid} round={r.ElectionEpoch} at tick {Now}");
        }
    }

    private void Log(string line) => _trace.Add($"[{Now}] {line}");
}

internal static class FrameExtensions
{
    public static bool TryReadFrame(this byte[] frame, out byte[] payload)
    {
        var buffer = new System.Buffers.ReadOnlySequence<byte>(frame);
        bool ok = ElectionMessages.TryReadFrame(ref buffer, out var seq);
        payload = ok ? System.Buffers.BuffersExtensions.ToArray(seq) : [];
        return ok;
    }
}
