namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// A standalone ZooKeeper server running as a separate process on a loopback port (free, unless given),
/// serving from a fresh data directory (or a given existing one). It can be stopped cleanly, killed
/// with SIGKILL and restarted on the same <c>zoo.cfg</c>. Disposing kills the process tree and deletes
/// the temp directory (with the data directory only when the rig created it).
/// </summary>
public interface IZooKeeperProcess : IAsyncDisposable
{
    ServerKind Kind { get; }

    /// <summary>The client port on 127.0.0.1.</summary>
    int Port { get; }

    /// <summary><c>127.0.0.1:port</c>, as clients take it.</summary>
    string ConnectString { get; }

    string DataDir { get; }

    /// <summary>The configuration the server was started with.</summary>
    ZooCfg Config { get; }

    /// <summary>What the server has logged so far, for failure messages.</summary>
    string LogText { get; }

    /// <summary>True once the current process has exited.</summary>
    bool HasExited { get; }

    /// <summary>Clean stop (SIGTERM, as <c>zkServer.sh stop</c>); waits for the exit, fails the test if it does not come.</summary>
    Task StopAsync(CancellationToken cancellationToken = default);

    /// <summary><c>kill -9</c> of the server process.</summary>
    Task KillAsync();

    /// <summary>After a stop or kill: starts the same server again on the same port and data directory, and waits until it serves.</summary>
    Task RestartAsync(CancellationToken cancellationToken = default);

    /// <summary>Sends a four-letter word (<c>ruok</c>, <c>srvr</c>, ...) and returns the server's answer.</summary>
    Task<string> FourLetterWordAsync(string word, CancellationToken cancellationToken = default);
}
