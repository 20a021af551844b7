using ZkCompat.Jute;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Processors;

/// <summary>
/// What the processors may do with a client connection: the narrow reply interface, so the
/// processor chain never touches sockets. Implementations must be safe to call from the
/// processor thread while the connection's own loops run.
/// </summary>
public interface IServerConnection : IWatcher
{
    long SessionId { get; }

    /// <summary>Negotiated session timeout in ms.</summary>
    int SessionTimeout { get; }

    IReadOnlyList<Id> AuthInfo { get; }

    /// <summary>Queues a reply; replies and watch events leave in the order they were queued.</summary>
    void SendResponse(ReplyHeader header, IJuteWritable? body);

    /// <summary>The session this connection now speaks for, with its negotiated timeout.</summary>
    void BindSession(long sessionId, int timeout);

    /// <summary>Queues the ConnectResponse (with the readOnly byte unless the client is old).</summary>
    void SendConnectResponse(ConnectResponse response, bool readOnly);

    /// <summary>Finish sending what is queued, then close.</summary>
    void SendCloseSession();

    /// <summary>The handshake is done (or refused); resume reading requests.</summary>
    void SessionEstablished(bool valid);

    /// <summary>Statistics for four-letter words.</summary>
    void RequestFinished(Request request, string lastOp, long lastZxid);
}
