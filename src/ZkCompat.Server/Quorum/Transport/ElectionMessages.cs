using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Quorum.Transport;

/// <summary>
/// What a peer says first on an election connection (QuorumCnxManager's initial message).
/// <paramref name="ProtocolVersion"/> is 0 for a pre-3.5 peer that sent only its sid.
/// </summary>
public sealed record InitialMessage(long ProtocolVersion, long Sid, IReadOnlyList<string> ElectionAddresses);

/// <summary>
/// Byte layouts of the election port (QuorumCnxManager + FastLeaderElection): the raw initial message,
/// the <c>int length</c> frames that follow it, and the notification inside each frame. All big-endian.
/// </summary>
public static class ElectionMessages
{
    /// <summary>Sent by 3.5+ with one election address; what 3.8 sends unless multiAddress.enabled.</summary>
    public const long ProtocolVersionV1 = -65536L;

    /// <summary>Several election addresses joined with '|' (3.6+, multiAddress.enabled only).</summary>
    public const long ProtocolVersionV2 = -65535L;

    /// <summary>Largest address string in the initial message (QuorumCnxManager.maxBuffer).</summary>
    public const int MaxAddressLength = 2048;

    /// <summary>Largest frame on the election port (QuorumCnxManager.PACKETMAXSIZE).</summary>
    public const int MaxFrameLength = 512 * 1024;

    /// <summary>Oldest notification: state, leader, zxid, electionEpoch.</summary>
    public const int LegacyNotificationLength28 = 28;

    /// <summary>Notification with peerEpoch and an unread version word (pre-3.4.6).</summary>
    public const int LegacyNotificationLength40 = 40;

    /// <summary>The 3.8 notification without its config text.</summary>
    public const int NotificationHeaderLength = 44;

    /// <summary>An observer may introduce itself with this sid; the receiver makes up a negative one.</summary>
    public const long ObserverSid = long.MaxValue;

    public static byte[] EncodeInitialMessage(long sid, IReadOnlyList<string> electionAddresses, long protocolVersion = ProtocolVersionV1)
    {
        ArgumentNullException.ThrowIfNull(electionAddresses);
        if (protocolVersion != ProtocolVersionV1 && protocolVersion != ProtocolVersionV2)
            throw new ArgumentOutOfRangeException(nameof(protocolVersion), protocolVersion, "only V1 and V2 are sent");
        if (electionAddresses.Count == 0 || (protocolVersion == ProtocolVersionV1 && electionAddresses.Count != 1))
            throw new ArgumentException("V1 carries exactly one address, V2 at least one", nameof(electionAddresses));
        byte[] address = Encoding.UTF8.GetBytes(string.Join('|', electionAddresses));
        if (address.Length > MaxAddressLength)
            throw new ArgumentException($"address text of {address.Length} bytes is over {MaxAddressLength}", nameof(electionAddresses));

        var bytes = new byte[8 + 8 + 4 + address.Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, protocolVersion);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), sid);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), address.Length);
        address.CopyTo(bytes, 20);
        return bytes;
    }

    /// <summary>
    /// Reads the initial message off the front of <paramref name="buffer"/>. Returns false while more
    /// bytes are needed; throws <see cref="ElectionMessageException"/> on garbage (close the connection).
    /// A first long ≥ 0 is a pre-3.5 peer's bare sid.
    /// </summary>
    public static bool TryDecodeInitialMessage(ReadOnlySpan<byte> buffer, out InitialMessage? message, out int consumed)
    {
        message = null;
        consumed = 0;
        if (buffer.Length < 8) return false;
        long first = BinaryPrimitives.ReadInt64BigEndian(buffer);
        if (first >= 0)
        {
            message = new InitialMessage(0, first, []);
            consumed = 8;
            return true;
        }
        if (first != ProtocolVersionV1 && first != ProtocolVersionV2)
            throw new ElectionMessageException(ElectionMessageError.UnknownProtocolVersion, $"unrecognized protocol version {first}");
        if (buffer.Length < 20) return false;
        long sid = BinaryPrimitives.ReadInt64BigEndian(buffer[8..]);
        int length = BinaryPrimitives.ReadInt32BigEndian(buffer[16..]);
        // Checked before waiting for the bytes, so a lying peer cannot make us buffer without bound.
        if (length <= 0 || length > MaxAddressLength)
            throw new ElectionMessageException(ElectionMessageError.BadAddressLength, $"unreasonable address length {length} from sid {sid}");
        if (buffer.Length < 20 + length) return false;

        string text = Encoding.UTF8.GetString(buffer.Slice(20, length));
        var addresses = new List<string>();
        foreach (var address in text.Split('|'))
        {
            ValidateHostPort(address);
            addresses.Add(address);
        }
        message = new InitialMessage(first, sid, addresses);
        consumed = 20 + length;
        return true;
    }

    // Java's ConfigUtils.getHostAndPort followed by Integer.parseInt and InetSocketAddress's port range.
    private static void ValidateHostPort(string address)
    {
        string[] parts;
        if (address.StartsWith('['))
        {
            int close = address.IndexOf(']');
            if (close < 0 || close + 2 >= address.Length || address[close + 1] != ':')
                throw new ElectionMessageException(ElectionMessageError.BadAddress, $"badly formed address: {address}");
            parts = [address[1..close], .. address[(close + 2)..].Split(':')];
        }
        else
        {
            parts = address.Split(':');
        }
        // Java's split drops trailing empty strings, so "host:" is one part.
        int count = parts.Length;
        while (count > 0 && parts[count - 1].Length == 0) count--;
        if (count != 2)
            throw new ElectionMessageException(ElectionMessageError.BadAddress, $"badly formed address: {address}");
        if (!int.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int port) || port is < 0 or > 65535)
            throw new ElectionMessageException(ElectionMessageError.BadAddress, $"bad port number: {parts[1]}");
    }

    /// <summary>Prefixes <paramref name="payload"/> with its length, as SendWorker writes it.</summary>
    public static byte[] EncodeFrame(ReadOnlySpan<byte> payload)
    {
        if (payload.Length is 0 or > MaxFrameLength)
            throw new ArgumentException($"frame payload of {payload.Length} bytes is outside 1…{MaxFrameLength}", nameof(payload));
        var bytes = new byte[4 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, payload.Length);
        payload.CopyTo(bytes.AsSpan(4));
        return bytes;
    }

    /// <summary>
    /// Takes one frame off the front of <paramref name="buffer"/>; false while more bytes are needed.
    /// A length outside 1…524288 throws before anything is buffered (RecvWorker closes the connection).
    /// </summary>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.Length < 4) return false;
        Span<byte> prefix = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(prefix);
        int length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        if (length <= 0 || length > MaxFrameLength)
            throw new ElectionMessageException(ElectionMessageError.BadFrameLength, $"received packet with invalid length {length}");
        if (buffer.Length - 4 < length) return false;
        payload = buffer.Slice(4, length);
        buffer = buffer.Slice(4 + length);
        return true;
    }

    /// <summary>The 3.8 layout: state, leader, zxid, electionEpoch, peerEpoch, version 2, config length, config.</summary>
    public static byte[] EncodeNotification(Notification n)
    {
        ArgumentNullException.ThrowIfNull(n);
        byte[] config = Encoding.UTF8.GetBytes(n.ConfigText ?? "");
        if (NotificationHeaderLength + config.Length > MaxFrameLength)
            throw new ArgumentException($"config text of {config.Length} bytes does not fit a frame", nameof(n));
        var bytes = new byte[NotificationHeaderLength + config.Length];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteInt32BigEndian(span, (int)n.State);
        BinaryPrimitives.WriteInt64BigEndian(span[4..], n.Leader);
        BinaryPrimitives.WriteInt64BigEndian(span[12..], n.Zxid);
        BinaryPrimitives.WriteInt64BigEndian(span[20..], n.ElectionEpoch);
        BinaryPrimitives.WriteInt64BigEndian(span[28..], n.PeerEpoch);
        BinaryPrimitives.WriteInt32BigEndian(span[36..], Notification.CurrentVersion);
        BinaryPrimitives.WriteInt32BigEndian(span[40..], config.Length);
        config.CopyTo(span[44..]);
        return bytes;
    }

    /// <summary>
    /// Reads a notification the way WorkerReceiver does: 28 bytes ⇒ no peerEpoch (taken from the zxid),
    /// 40 bytes ⇒ no version, otherwise version and, when it is above 1, the config text. Bytes past
    /// what the version defines are ignored. Throws <see cref="ElectionMessageException"/> on garbage
    /// (drop the message, keep the connection).
    /// </summary>
    public static Notification DecodeNotification(ReadOnlySpan<byte> payload)
    {
        int capacity = payload.Length;
        if (capacity < LegacyNotificationLength28)
            throw new ElectionMessageException(ElectionMessageError.TooShort, $"short notification of {capacity} bytes");

        int rawState = BinaryPrimitives.ReadInt32BigEndian(payload);
        long leader = BinaryPrimitives.ReadInt64BigEndian(payload[4..]);
        long zxid = BinaryPrimitives.ReadInt64BigEndian(payload[12..]);
        long electionEpoch = BinaryPrimitives.ReadInt64BigEndian(payload[20..]);
        long peerEpoch;
        int version = 0;
        string? config = null;

        if (capacity == LegacyNotificationLength28)
        {
            peerEpoch = zxid >> 32;
        }
        else
        {
            Need(payload, 36);
            peerEpoch = BinaryPrimitives.ReadInt64BigEndian(payload[28..]);
            if (capacity != LegacyNotificationLength40)
            {
                Need(payload, 40);
                version = BinaryPrimitives.ReadInt32BigEndian(payload[36..]);
            }
        }

        if (version > 1)
        {
            Need(payload, 44);
            int configLength = BinaryPrimitives.ReadInt32BigEndian(payload[40..]);
            if (configLength < 0 || configLength > capacity)
                throw new ElectionMessageException(ElectionMessageError.Malformed, $"invalid config length {configLength} in a {capacity}-byte notification");
            Need(payload, 44 + configLength);
            config = Encoding.UTF8.GetString(payload.Slice(44, configLength));
        }

        // Java validates the state after the body, so a malformed body wins over a bad state.
        if (rawState is < 0 or > 3)
            throw new ElectionMessageException(ElectionMessageError.UnknownState, $"unknown server state {rawState}");
        return new Notification((ServerState)rawState, leader, zxid, electionEpoch, peerEpoch, version, config);
    }

    private static void Need(ReadOnlySpan<byte> payload, int length)
    {
        if (payload.Length < length)
            throw new ElectionMessageException(ElectionMessageError.Malformed, $"notification of {payload.Length} bytes ends before byte {length}");
    }
}
