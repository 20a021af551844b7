using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ZkCompat.Jute;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Quorum;

namespace ZkCompat.Server.Quorum.Transport;

/// <summary>The <c>type</c> of a QuorumPacket (constants in Java's Leader).</summary>
public enum QuorumPacketType
{
    Request = 1,
    Proposal = 2,
    Ack = 3,
    Commit = 4,
    Ping = 5,
    Revalidate = 6,
    Sync = 7,
    Inform = 8,
    CommitAndActivate = 9,
    NewLeader = 10,
    FollowerInfo = 11,
    UpToDate = 12,
    Diff = 13,
    Trunc = 14,
    Snap = 15,
    ObserverInfo = 16,
    LeaderInfo = 17,
    AckEpoch = 18,
    InformAndActivate = 19,
}

/// <summary>
/// What a FOLLOWERINFO/OBSERVERINFO payload says, read positionally as LearnerHandler does: a field is
/// present only when the payload is long enough to hold it. Missing fields are null (protocol version
/// then defaults to 1, pre-Zab-1.0).
/// </summary>
public readonly record struct LearnerInfoFields(long? Sid, int ProtocolVersion, long? ConfigVersion);

/// <summary>One session a learner touched since its last PING reply.</summary>
public readonly record struct SessionTouch(long SessionId, int TimeoutMs);

/// <summary>A client write a learner forwards to the leader (REQUEST payload plus the packet's authinfo).</summary>
public sealed record ForwardedRequest(long SessionId, int Cxid, int Type, byte[] Body, IReadOnlyList<Id>? AuthInfo);

/// <summary>
/// QuorumPackets on the peer port: jute records <c>int type, long zxid, buffer data, vector&lt;Id&gt; authinfo</c>
/// written back to back with no length prefix, and the small big-endian payloads some types carry.
/// </summary>
public static class QuorumPackets
{
    /// <summary>The Zab protocol version both sides announce (FOLLOWERINFO and LEADERINFO).</summary>
    public const int ProtocolVersion1_0 = 0x10000;

    /// <summary>What LearnerHandler assumes when a learner does not say (pre-1.0).</summary>
    public const int DefaultProtocolVersion = 1;

    // An Id is two ustrings, so at least 8 bytes on the wire.
    private const int MinIdLength = 8;

    /// <summary>
    /// Takes one QuorumPacket off the front of <paramref name="buffer"/>. Returns false while more bytes
    /// are needed. Lengths are checked as soon as they arrive, so a lying peer cannot make us buffer
    /// past the jute limits: a buffer or string over <c>jute.maxbuffer + extrasize</c> throws, as Java's
    /// BinaryInputArchive does; an authinfo count that could not fit in such a buffer throws too.
    /// </summary>
    public static bool TryRead(ref ReadOnlySequence<byte> buffer, out QuorumPacket? packet, JuteLimits? limits = null)
    {
        packet = null;
        var limit = limits ?? JuteLimits.Default;
        var seq = new SequenceReader<byte>(buffer);
        if (!seq.TryReadBigEndian(out int _) || !seq.TryReadBigEndian(out long _) || !seq.TryReadBigEndian(out int dataLength))
            return false;
        if (dataLength < -1 || dataLength > limit.MaxFieldLength)
            throw new QuorumPacketException(QuorumPacketError.BadBufferLength, $"quorum packet data length {dataLength} is outside -1…{limit.MaxFieldLength}");
        if (!Skip(ref seq, dataLength)) return false;
        if (!seq.TryReadBigEndian(out int idCount)) return false;
        if (idCount < -1 || (long)idCount * MinIdLength > limit.MaxFieldLength)
            throw new QuorumPacketException(QuorumPacketError.BadVectorLength, $"quorum packet authinfo count {idCount} is unreasonable");
        for (int i = 0; i < idCount * 2; i++)
        {
            if (!seq.TryReadBigEndian(out int stringLength)) return false;
            if (stringLength < -1 || stringLength > limit.MaxFieldLength)
                throw new QuorumPacketException(QuorumPacketError.BadStringLength, $"authinfo string length {stringLength} is outside -1…{limit.MaxFieldLength}");
            if (!Skip(ref seq, stringLength)) return false;
        }

        var whole = buffer.Slice(0, seq.Consumed);
        var reader = new JuteReader(whole, limit);
        packet = QuorumPacket.Deserialize(ref reader);
        buffer = buffer.Slice(seq.Consumed);
        return true;
    }

    private static bool Skip(ref SequenceReader<byte> seq, int length)
    {
        if (length <= 0) return true;
        if (seq.Remaining < length) return false;
        seq.Advance(length);
        return true;
    }

    /// <summary>The bytes Java's <c>writeRecord(qp)</c> puts on the wire.</summary>
    public static byte[] Write(QuorumPacket packet) => JuteSerializer.ToArray(packet);

    public static QuorumPacket Create(QuorumPacketType type, long zxid, byte[]? data = null, List<Id>? authInfo = null) =>
        new((int)type, zxid, data, authInfo);

    // ---- discovery ----

    /// <summary>FOLLOWERINFO/OBSERVERINFO: <c>zxid = acceptedEpoch &lt;&lt; 32</c>, data = LearnerInfo.</summary>
    public static QuorumPacket LearnerInfoPacket(bool observer, long sid, long acceptedEpoch, long configVersion) =>
        Create(observer ? QuorumPacketType.ObserverInfo : QuorumPacketType.FollowerInfo, acceptedEpoch << 32,
            JuteSerializer.ToArray(new LearnerInfo(sid, ProtocolVersion1_0, configVersion)));

    /// <summary>
    /// LearnerHandler's positional read: ≥8 bytes ⇒ sid, ≥12 ⇒ protocol version, ≥20 ⇒ config version.
    /// Null data means a learner too old to say (the leader then makes up a negative sid).
    /// </summary>
    public static LearnerInfoFields ParseLearnerInfo(byte[]? data)
    {
        if (data is null) return new LearnerInfoFields(null, DefaultProtocolVersion, null);
        long? sid = data.Length >= 8 ? BinaryPrimitives.ReadInt64BigEndian(data) : null;
        int version = data.Length >= 12 ? BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8)) : DefaultProtocolVersion;
        long? configVersion = data.Length >= 20 ? BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(12)) : null;
        return new LearnerInfoFields(sid, version, configVersion);
    }

    /// <summary>LEADERINFO: <c>zxid = newEpoch &lt;&lt; 32</c>, data = the leader's protocol version.</summary>
    public static QuorumPacket LeaderInfo(long newEpoch) => Create(QuorumPacketType.LeaderInfo, newEpoch << 32, Int(ProtocolVersion1_0));

    /// <summary>The leader protocol version in a LEADERINFO; extra bytes are ignored as Java's getInt does.</summary>
    public static int ParseLeaderInfo(byte[]? data) => ReadInt(data, "LEADERINFO");

    /// <summary>ACKEPOCH: <c>zxid = lastLoggedZxid</c>, data = the learner's currentEpoch or -1.</summary>
    public static QuorumPacket AckEpoch(long lastLoggedZxid, int currentEpochOrMinusOne) =>
        Create(QuorumPacketType.AckEpoch, lastLoggedZxid, Int(currentEpochOrMinusOne));

    public static int ParseAckEpoch(byte[]? data) => ReadInt(data, "ACKEPOCH");

    // ---- synchronisation ----

    /// <summary>NEWLEADER: <c>zxid = newEpoch &lt;&lt; 32</c>, data = the leader's last-seen config text (none for pre-1.0 learners).</summary>
    public static QuorumPacket NewLeader(long newLeaderZxid, string? configText) =>
        Create(QuorumPacketType.NewLeader, newLeaderZxid, configText is null ? null : Encoding.UTF8.GetBytes(configText));

    public static QuorumPacket Ack(long zxid) => Create(QuorumPacketType.Ack, zxid);

    public static QuorumPacket Commit(long zxid) => Create(QuorumPacketType.Commit, zxid);

    public static QuorumPacket UpToDate() => Create(QuorumPacketType.UpToDate, -1);

    // ---- broadcast ----

    /// <summary>A learner's PING reply body: <c>{long sessionId, int timeout}*</c>.</summary>
    public static byte[] EncodeSessionTouches(IReadOnlyCollection<SessionTouch> touches)
    {
        ArgumentNullException.ThrowIfNull(touches);
        var bytes = new byte[touches.Count * 12];
        int at = 0;
        foreach (var t in touches)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at), t.SessionId);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at + 8), t.TimeoutMs);
            at += 12;
        }
        return bytes;
    }

    /// <summary>
    /// The sessions in a PING. The leader's own PING has no data (empty list); a trailing partial entry
    /// is an EOF in Java's loop, which kills that learner's handler.
    /// </summary>
    public static IReadOnlyList<SessionTouch> ParseSessionTouches(byte[]? data)
    {
        if (data is null) return [];
        if (data.Length % 12 != 0)
            throw new QuorumPacketException(QuorumPacketError.Malformed, $"PING body of {data.Length} bytes is not whole {{sessionId, timeout}} entries");
        var touches = new List<SessionTouch>(data.Length / 12);
        for (int at = 0; at < data.Length; at += 12)
            touches.Add(new SessionTouch(BinaryPrimitives.ReadInt64BigEndian(data.AsSpan(at)), BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(at + 8))));
        return touches;
    }

    /// <summary>Learner → leader REVALIDATE: <c>long sessionId, int timeout</c>, zxid -1.</summary>
    public static QuorumPacket RevalidateRequest(long sessionId, int timeoutMs)
    {
        var data = new byte[12];
        BinaryPrimitives.WriteInt64BigEndian(data, sessionId);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), timeoutMs);
        return Create(QuorumPacketType.Revalidate, -1, data);
    }

    public static SessionTouch ParseRevalidateRequest(byte[]? data)
    {
        Need(data, 12, "REVALIDATE request");
        return new SessionTouch(BinaryPrimitives.ReadInt64BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8)));
    }

    /// <summary>Leader → learner REVALIDATE: <c>long sessionId, boolean valid</c>, echoing the request's zxid.</summary>
    public static QuorumPacket RevalidateReply(long requestZxid, long sessionId, bool valid)
    {
        var data = new byte[9];
        BinaryPrimitives.WriteInt64BigEndian(data, sessionId);
        data[8] = valid ? (byte)1 : (byte)0;
        return Create(QuorumPacketType.Revalidate, requestZxid, data);
    }

    /// <summary>(sessionId, valid); any non-zero byte is true, as DataInputStream.readBoolean reads it.</summary>
    public static (long SessionId, bool Valid) ParseRevalidateReply(byte[]? data)
    {
        Need(data, 9, "REVALIDATE reply");
        return (BinaryPrimitives.ReadInt64BigEndian(data), data[8] != 0);
    }

    /// <summary>REQUEST: zxid -1, data = <c>long sessionId, int cxid, int type</c> + the request body without its header.</summary>
    public static QuorumPacket Request(long sessionId, int cxid, int type, ReadOnlySpan<byte> body, List<Id>? authInfo)
    {
        var data = new byte[16 + body.Length];
        BinaryPrimitives.WriteInt64BigEndian(data, sessionId);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(8), cxid);
        BinaryPrimitives.WriteInt32BigEndian(data.AsSpan(12), type);
        body.CopyTo(data.AsSpan(16));
        return Create(QuorumPacketType.Request, -1, data, authInfo);
    }

    public static ForwardedRequest ParseRequest(QuorumPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var data = packet.Data;
        Need(data, 16, "REQUEST");
        return new ForwardedRequest(
            BinaryPrimitives.ReadInt64BigEndian(data),
            BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(8)),
            BinaryPrimitives.ReadInt32BigEndian(data.AsSpan(12)),
            data[16..],
            packet.Authinfo);
    }

    private static byte[] Int(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    private static int ReadInt(byte[]? data, string what)
    {
        Need(data, 4, what);
        return BinaryPrimitives.ReadInt32BigEndian(data);
    }

    private static void Need([System.Diagnostics.CodeAnalysis.NotNull] byte[]? data, int length, string what)
    {
        if (data is null)
            throw new QuorumPacketException(QuorumPacketError.Malformed, $"{what} has no data");
        if (data.Length < length)
            throw new QuorumPacketException(QuorumPacketError.Malformed, $"{what} data of {data.Length} bytes is shorter than {length}");
    }
}
