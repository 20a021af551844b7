namespace ZkCompat.Server.Quorum.Transport;

/// <summary>Why bytes from the election port were rejected.</summary>
public enum ElectionMessageError
{
    /// <summary>The initial message names a protocol version other than V1/V2.</summary>
    UnknownProtocolVersion,
    /// <summary>The initial message's address length is not in 1…2048.</summary>
    BadAddressLength,
    /// <summary>An address in the initial message is not <c>host:port</c>.</summary>
    BadAddress,
    /// <summary>A frame length is not in 1…524288.</summary>
    BadFrameLength,
    /// <summary>A notification shorter than the oldest format (28 bytes).</summary>
    TooShort,
    /// <summary>A notification whose fields run past its end, or whose config length is out of range.</summary>
    Malformed,
    /// <summary>A notification whose state is not LOOKING/FOLLOWING/LEADING/OBSERVING.</summary>
    UnknownState,
}

/// <summary>
/// Garbage on the election port. Java logs and drops the connection (initial message, frame length)
/// or just the message (notification); the transport decides which from <see cref="Error"/>.
/// </summary>
public sealed class ElectionMessageException(ElectionMessageError error, string message) : IOException(message)
{
    public ElectionMessageError Error { get; } = error;
}
