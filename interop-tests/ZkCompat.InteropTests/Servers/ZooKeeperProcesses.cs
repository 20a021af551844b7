namespace ZkCompat.InteropTests.Servers;

/// <summary>Starts a standalone server of either kind with the same zoo.cfg, on a fresh or an existing data directory.</summary>
public static class ZooKeeperProcesses
{
    public static async Task<IZooKeeperProcess> StartAsync(ServerKind kind, Action<ZooCfg>? configure = null,
        CancellationToken cancellationToken = default) =>
        kind switch
        {
            ServerKind.Java => await JavaZooKeeperServer.StartAsync(configure, cancellationToken).ConfigureAwait(false),
            ServerKind.ZkCompat => await ZkCompatServerProcess.StartAsync(configure, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

    /// <summary>
    /// Starts a server of <paramref name="kind"/> on an existing data directory (left in place when the
    /// server is disposed) and on <paramref name="clientPort"/> (0: a free one): how a data directory
    /// moves from one implementation to the other.
    /// </summary>
    public static async Task<IZooKeeperProcess> StartOnAsync(ServerKind kind, string dataDir, int clientPort = 0,
        Action<ZooCfg>? configure = null, CancellationToken cancellationToken = default) =>
        kind switch
        {
            ServerKind.Java => await JavaZooKeeperServer.StartOnAsync(dataDir, clientPort, configure, cancellationToken).ConfigureAwait(false),
            ServerKind.ZkCompat => await ZkCompatServerProcess.StartOnAsync(dataDir, clientPort, configure, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
}
