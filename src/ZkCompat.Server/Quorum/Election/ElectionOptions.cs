namespace ZkCompat.Server.Quorum.Election;

/// <summary>
/// Timing of fast leader election. Java's defaults: finalizeWait 200 ms, notification interval from
/// <c>zookeeper.fastleader.minNotificationInterval</c> (200 ms) doubling up to
/// <c>zookeeper.fastleader.maxNotificationInterval</c> (60 s).
/// </summary>
public sealed record ElectionOptions
{
    /// <summary>How much time one <see cref="FastLeaderElection.Tick"/> stands for.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>How long to wait for a better vote once a quorum agrees.</summary>
    public TimeSpan FinalizeWait { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MinNotificationInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxNotificationInterval { get; init; } = TimeSpan.FromSeconds(60);

    public static ElectionOptions Default { get; } = new();
}

/// <summary>How an election ended for this server: the role to take and the vote it settled on.</summary>
public sealed record ElectionResult(ServerState State, long LeaderSid, long ElectionEpoch, Vote Vote);

/// <summary>What one call into the election produced: notifications to send and, at most once, the outcome.</summary>
public sealed record ElectionOutput(IReadOnlyList<OutgoingNotification> Messages, ElectionResult? Result)
{
    public static ElectionOutput None { get; } = new([], null);
}
