using Microsoft.Extensions.Logging;
using ZkCompat.Server.Processors;

namespace ZkCompat.Server;

/// <summary>
/// What makes a <see cref="ZooKeeperServer"/> a standalone server, a leader, a follower or an observer
/// (Java's ZooKeeperServer subclasses): its request chain and the few places its behaviour differs.
/// </summary>
public sealed record ServerRole
{
    public static ServerRole Standalone { get; } = new();

    /// <summary>Mode as srvr/stat/mntr print it: standalone, leader, follower, observer.</summary>
    public string State { get; init; } = "standalone";

    /// <summary>A read-only server (readonlymode.enabled, no quorum): only read-only clients, no writes.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Whether this server expires sessions and reaps containers (leader, standalone).</summary>
    public bool ExpiresSessions { get; init; } = true;

    /// <summary>Builds the request chain; null for Prep → Sync → Final.</summary>
    public Func<ZooKeeperServer, ILoggerFactory, CancellationToken, IRequestChain>? Chain { get; init; }

    /// <summary>The first zxid counter value (a leader starts its epoch at epoch &lt;&lt; 32).</summary>
    public long? InitialZxid { get; init; }

    /// <summary>Learners ask the leader whether a reconnecting session is still alive (REVALIDATE).</summary>
    /// <remarks>Null means the leader could not be asked (it is gone): the client is closed without an answer and tries elsewhere.</remarks>
    public Func<long, int, CancellationToken, ValueTask<bool?>>? Revalidate { get; init; }

    /// <summary>A client request touched its session (learners report these to the leader in PINGs).</summary>
    public Action<long, int>? Touched { get; init; }

    /// <summary>mntr's zk_peer_state (QuorumPeer.getDetailedPeerState), e.g. "leading - broadcast"; null standalone.</summary>
    public string? PeerState { get; init; }

    /// <summary>The role's own mntr gauges (quorum_size, learners, synced_followers, ...), name → printed value.</summary>
    public Func<IReadOnlyList<KeyValuePair<string, string>>>? MonitorValues { get; init; }

    /// <summary>Lines srvr/stat append after Mode (a leader's "Proposal sizes last/min/max: ...").</summary>
    public Func<string>? StatExtra { get; init; }

    /// <summary>The leader's reconfig checks: returns the new config text or throws a KeeperException; null elsewhere (UNIMPLEMENTED).</summary>
    public Func<Protocol.Proto.ReconfigRequest, long, string>? PrepareReconfig { get; init; }

    /// <summary>conf's serverId: 0 standalone, myid for quorum roles (Java's getServerId).</summary>
    public long ServerId { get; init; }

    /// <summary>What a quorum role appends to conf (QuorumZooKeeperServer.dumpConf): limits, ports, membership.</summary>
    public Func<string>? ConfExtra { get; init; }

    /// <summary>A txn was applied to the tree.</summary>
    public Action<Request>? Applied { get; init; }
}
