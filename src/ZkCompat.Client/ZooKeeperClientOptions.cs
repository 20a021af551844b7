using ZkCompat.Jute;

namespace ZkCompat.Client;

/// <summary>How <see cref="ZooKeeperClient.ConnectAsync"/> opens (or resumes) a session.</summary>
public sealed record ZooKeeperClientOptions
{
    /// <summary>Requested session timeout; the server clamps it to its [min, max] range.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The trailing readOnly byte of the ConnectRequest: accept a read-only server.</summary>
    public bool CanBeReadOnly { get; init; }

    /// <summary>Session to resume; 0 asks for a new session.</summary>
    public long SessionId { get; init; }

    /// <summary>Password of the session to resume; null sends 16 zero bytes like a new Java client.</summary>
    public byte[]? Password { get; init; }

    /// <summary>Highest zxid seen so far; a server that is behind it refuses the connection.</summary>
    public long LastZxidSeen { get; init; }

    /// <summary>Clock for the connect timeout, the ping loop and the read timeout.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Per host: TCP connect plus handshake must finish within this.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Java's <c>jute.maxbuffer</c>: a reply frame longer than this closes the connection.</summary>
    public int MaxBuffer { get; init; } = JuteLimits.DefaultMaxBuffer;

    /// <summary>
    /// Append the readOnly byte to the ConnectRequest as 3.x clients do. False imitates an old client,
    /// which the server answers without the byte.
    /// </summary>
    public bool SendReadOnlyFlag { get; init; } = true;

    /// <summary>Send pings when idle and drop the connection when the server goes quiet (Java's SendThread).</summary>
    public bool KeepAlive { get; init; } = true;
}
