namespace ZkCompat.InteropTests.Servers;

/// <summary>One server of an ensemble to start: which implementation runs it, and whether it is an observer.</summary>
public sealed record EnsembleMember(ServerKind Kind, bool IsObserver = false)
{
    public static EnsembleMember Participant(ServerKind kind) => new(kind);

    public static EnsembleMember Observer(ServerKind kind) => new(kind, IsObserver: true);
}

/// <summary>
/// What every server of an ensemble shares. The defaults keep the tests quick on two cores without
/// making them flaky: elections and syncs are paced by connections closing, not by ticks, so a short
/// tick mostly shortens how long a lost quorum takes to notice; the limits leave a loaded machine
/// seconds of slack before a follower is dropped.
/// </summary>
public sealed record EnsembleOptions
{
    /// <summary><c>tickTime</c> in ms.</summary>
    public int TickTime { get; init; } = 250;

    /// <summary><c>initLimit</c> in ticks: how long a follower may take to connect and sync.</summary>
    public int InitLimit { get; init; } = 20;

    /// <summary><c>syncLimit</c> in ticks: how far a follower may fall behind before it is dropped.</summary>
    public int SyncLimit { get; init; } = 10;

    /// <summary>
    /// <c>maxSessionTimeout</c> in ms. Java's default (20 ticks, 5 s here) is too short for a session to
    /// ride out an election on a busy machine.
    /// </summary>
    public int MaxSessionTimeout { get; init; } = 30_000;

    /// <summary><c>-Dname=value</c> for every server (e.g. <c>zookeeper.snapCount</c>).</summary>
    public IReadOnlyDictionary<string, string> SystemProperties { get; init; } = new Dictionary<string, string>();

    /// <summary>Further zoo.cfg settings for every server, applied after the ones above.</summary>
    public Action<ZooCfg>? Configure { get; init; }

    /// <summary>How long <see cref="ZooKeeperEnsemble.WaitForQuorumAsync"/> waits by default.</summary>
    public TimeSpan QuorumTimeout { get; init; } = TimeSpan.FromSeconds(60);
}
