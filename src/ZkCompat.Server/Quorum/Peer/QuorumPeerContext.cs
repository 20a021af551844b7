using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>What every role of one quorum peer shares: config, database, network, clock, logs, membership.</summary>
public sealed class QuorumPeerContext(
    ServerOptions options,
    ZkDatabase database,
    IPeerNetwork network,
    TimeProvider time,
    ILoggerFactory loggers,
    QuorumMaj verifier,
    Action<ZooKeeperServer?> setServing,
    Action<long> updateElectionVote)
{
    private volatile QuorumMaj _verifier = verifier;
    private volatile QuorumMaj _lastSeen = verifier;

    public ServerOptions Options { get; } = options;
    public ZkDatabase Database { get; } = database;
    public IPeerNetwork Network { get; } = network;
    public TimeProvider Time { get; } = time;
    public ILoggerFactory Loggers { get; } = loggers;

    /// <summary>Points the client port at a role's server (or at nothing while electing).</summary>
    public Action<ZooKeeperServer?> SetServing { get; } = setServing;

    /// <summary>Tells the election the epoch a new leader settled on.</summary>
    public Action<long> UpdateElectionVote { get; } = updateElectionVote;

    /// <summary>The committed membership (Java's quorumVerifier); replaced when a reconfig is activated.</summary>
    public QuorumMaj Verifier => _verifier;

    /// <summary>The newest membership proposed (Java's lastSeenQuorumVerifier); ahead of <see cref="Verifier"/> while a reconfig is in flight.</summary>
    public QuorumMaj LastSeen
    {
        get => _lastSeen;
        set => _lastSeen = value;
    }

    /// <summary>Called after <see cref="Verifier"/> changed: persist it, tell the election.</summary>
    public Action<QuorumMaj>? Activated { get; set; }

    public long MyId => Options.ServerId;

    /// <summary>This server's line in the current membership.</summary>
    public QuorumServerSpec? Self => Verifier.AllMembers.FirstOrDefault(s => s.Id == MyId);

    /// <summary>QuorumZooKeeperServer.dumpConf's lines after serverId.</summary>
    public string ConfText()
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var self = Self;
        string ports(Func<QuorumAddress, int> port) => self is null ? "" : string.Join("|", self.Addresses.Select(a => port(a).ToString(inv)));
        return "initLimit=" + Options.InitLimit.ToString(inv) + "\n"
            + "syncLimit=" + Options.SyncLimit.ToString(inv) + "\n"
            + "electionAlg=" + Options.ElectionAlg.ToString(inv) + "\n"
            + "electionPort=" + ports(a => a.ElectionPort) + "\n"
            + "quorumPort=" + ports(a => a.QuorumPort) + "\n"
            + "peerType=" + (self?.Type == LearnerType.Observer ? "1" : "0") + "\n"
            + "membership: \n"
            + Verifier.ToString();
    }

    public TimeSpan Ticks(int count) => TimeSpan.FromMilliseconds((long)Options.TickTime * count);

    /// <summary>Java's processReconfig minus the election part: the new membership becomes the committed one.</summary>
    public void Activate(QuorumMaj qv)
    {
        if (qv.Version <= _verifier.Version) return;
        _verifier = qv;
        if (_lastSeen.Version < qv.Version) _lastSeen = qv;
        Activated?.Invoke(qv);
    }
}

/// <summary>A role ended (leadership lost, leader gone): the peer goes back to LOOKING.</summary>
public sealed class QuorumRoleEndedException(string message, Exception? inner = null) : Exception(message, inner);
