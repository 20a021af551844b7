namespace ZkCompat.InteropTests.Servers;

/// <summary>Starts a standalone server of either kind with the same zoo.cfg.</summary>
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
}
