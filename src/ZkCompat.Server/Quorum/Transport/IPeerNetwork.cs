namespace ZkCompat.Server.Quorum.Transport;

/// <summary>
/// The narrow network seam of the election (3888) and quorum (2888) ports: TCP in production, an
/// in-memory network that can drop, partition and crash in tests. Each server gets its own instance
/// (its "view"), so an in-memory network knows who dials whom.
/// </summary>
public interface IPeerNetwork
{
    /// <summary>Opens a connection to <paramref name="host"/>:<paramref name="port"/>; throws <see cref="IOException"/> when refused or timed out.</summary>
    ValueTask<Stream> ConnectAsync(string host, int port, TimeSpan timeout, CancellationToken ct);

    /// <summary>Starts listening on <paramref name="host"/>:<paramref name="port"/> (host null or empty = every interface).</summary>
    IPeerListener Listen(string? host, int port);
}

/// <summary>A listening endpoint; disposing it stops accepting (open connections stay).</summary>
public interface IPeerListener : IAsyncDisposable
{
    /// <summary>The next accepted connection; throws <see cref="OperationCanceledException"/> or <see cref="ObjectDisposedException"/> when stopped.</summary>
    ValueTask<Stream> AcceptAsync(CancellationToken ct);
}
