using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Processors;

/// <summary>
/// One client request (or an internal one: session create/expiry, container reaping) on its
/// way through the processor chain. Prep fills in the txn; Final applies it and replies.
/// </summary>
public sealed class Request
{
    public Request(IServerConnection? connection, long sessionId, int cxid, OpCode type, ReadOnlyMemory<byte> body, IReadOnlyList<Id> authInfo)
    {
        Connection = connection;
        SessionId = sessionId;
        Cxid = cxid;
        Type = type;
        Body = body;
        AuthInfo = authInfo;
    }

    /// <summary>Null for internal requests (expiry, container manager): nobody gets a reply.</summary>
    public IServerConnection? Connection { get; }
    public long SessionId { get; }
    public int Cxid { get; }
    public OpCode Type { get; }

    /// <summary>The request record's bytes (after the RequestHeader); owned by this request.</summary>
    public ReadOnlyMemory<byte> Body { get; }

    public IReadOnlyList<Id> AuthInfo { get; }

    /// <summary>Whoever owns the session on this server (the connection), for SessionMoved checks.</summary>
    public object? Owner { get; init; }

    /// <summary>When the request was read (TimeProvider timestamp), for latency statistics.</summary>
    public long CreateTimestamp { get; init; }

    /// <summary>Set by Prep for every request that changes state (including failed ones: error txns).</summary>
    public TxnHeader? Header { get; set; }
    public IJuteRecord? Txn { get; set; }
    public TxnDigest? Digest { get; set; }

    /// <summary>The error Prep found, reported by Final.</summary>
    public KeeperException? Exception { get; set; }

    /// <summary>The zxid at the time Prep saw it (last assigned).</summary>
    public long Zxid { get; set; } = -1;

    public ProcessTxnResult? Result { get; set; }

    /// <summary>The txn as it travels in PROPOSAL/INFORM (TxnHeader + txn + digest), once someone needed the bytes.</summary>
    public byte[]? SerializedTxn { get; set; }

    /// <summary>On a leader: the learner whose forwarded sync this is; answered with SYNC, never applied.</summary>
    public object? LearnerSync { get; init; }

    /// <summary>A txn a learner applies on the leader's COMMIT: never counted as in process here.</summary>
    public bool FromLeader { get; init; }

    /// <summary>On a leader: a quorum acknowledged this request's proposal (guarded by the leader's lock).</summary>
    public bool Committed { get; set; }

    public bool IsTxn => Header is not null;

    public override string ToString() =>
        $"sessionid:0x{SessionId:x} type:{Type} cxid:0x{Cxid:x} zxid:0x{Header?.Zxid ?? Zxid:x}";

    public T ReadRecord<T>(JuteLimits limits) where T : IJuteRecord<T>
    {
        var reader = new JuteReader(Body, limits);
        return T.Deserialize(ref reader);
    }
}
