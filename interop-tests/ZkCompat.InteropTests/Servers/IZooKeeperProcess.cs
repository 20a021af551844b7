namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// A standalone ZooKeeper server running as a separate process on a free loopback port, serving from a
/// fresh data directory. Disposing kills the process tree and deletes the directory.
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

    /// <summary>Sends a four-letter word (<c>ruok</c>, <c>srvr</c>, ...) and returns the server's answer.</summary>
    Task<string> FourLetterWordAsync(string word, CancellationToken cancellationToken = default);
}
