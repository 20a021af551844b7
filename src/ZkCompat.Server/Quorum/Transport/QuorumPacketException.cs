namespace ZkCompat.Server.Quorum.Transport;

/// <summary>Why bytes from the quorum (peer) port were rejected.</summary>
public enum QuorumPacketError
{
    /// <summary>The <c>data</c> buffer length is below -1 or above the jute field limit.</summary>
    BadBufferLength,
    /// <summary>The <c>authinfo</c> count is below -1 or more Ids than a buffer could hold.</summary>
    BadVectorLength,
    /// <summary>A string inside an authinfo Id has a length outside the jute limits.</summary>
    BadStringLength,
    /// <summary>A payload is missing (null) or shorter than its type's layout.</summary>
    Malformed,
}

/// <summary>
/// Garbage on the quorum port. Java's LearnerHandler/Learner die on these (EOF, underflow or a length
/// check in BinaryInputArchive), so the connection is closed.
/// </summary>
public sealed class QuorumPacketException(QuorumPacketError error, string message) : IOException(message)
{
    public QuorumPacketError Error { get; } = error;
}
