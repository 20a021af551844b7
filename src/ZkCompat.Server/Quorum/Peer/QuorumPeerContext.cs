using Microsoft.Extensions.Logging;
using ZkCompat.Server.Config;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Election;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Quorum.Peer;

/// <summary>What every role of one quorum peer shares: config, database, network, clock, logs.</summary>
/// <param name="SetServing">Points the client port at a role's server (or at nothing while electing).</param>
/// <param name="UpdateElectionVote">Tells the election the epoch a new leader settled on.</param>
public sealed record QuorumPeerContext(
    ServerOptions Options,
    ZkDatabase Database,
    IPeerNetwork Network,
    TimeProvider Time,
    ILoggerFactory Loggers,
    QuorumMaj Verifier,
    Action<ZooKeeperServer?> SetServing,
    Action<long> UpdateElectionVote)
{
    public long MyId => Options.ServerId;

    public TimeSpan Ticks(int count) => TimeSpan.FromMilliseconds((long)Options.TickTime * count);
}

/// <summary>A role ended (leadership lost, leader gone): the peer goes back to LOOKING.</summary>
public sealed class QuorumRoleEndedException(string message, Exception? inner = null) : Exception(message, inner);
