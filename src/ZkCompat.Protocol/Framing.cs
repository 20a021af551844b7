using System.Buffers;
using System.Buffers.Binary;
using ZkCompat.Jute;

namespace ZkCompat.Protocol;

/// <summary>
/// Client-port framing: <c>int length</c> then that many bytes. Parsing follows Kestrel:
/// <see cref="TryReadFrame"/> returns false while more bytes are needed, and a length outside
/// [0, jute.maxbuffer] is reported before any buffer is sized from it.
/// </summary>
public static class Framing
{
    public const int LengthPrefixSize = 4;

    public enum FrameStatus
    {
        /// <summary>A whole frame was read.</summary>
        Complete,
        /// <summary>More bytes are needed.</summary>
        Incomplete,
        /// <summary>The length prefix is negative or over the limit: close the connection.</summary>
        BadLength,
    }

    /// <summary>
    /// Tries to take one frame off the front of <paramref name="buffer"/>. On success the frame
    /// payload (without the prefix) is returned and <paramref name="buffer"/> is advanced past it.
    /// </summary>
    public static FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxBuffer, out ReadOnlySequence<byte> payload, out int length)
    {
        payload = default;
        length = 0;
        if (buffer.Length < LengthPrefixSize) return FrameStatus.Incomplete;
        length = ReadLength(buffer);
        // Java's NIOServerCnxn.readLength: len < 0 || len > maxBuffer closes the connection.
        if (length < 0 || length > maxBuffer) return FrameStatus.BadLength;
        if (buffer.Length - LengthPrefixSize < length) return FrameStatus.Incomplete;
        payload = buffer.Slice(LengthPrefixSize, length);
        buffer = buffer.Slice(LengthPrefixSize + length);
        return FrameStatus.Complete;
    }

    /// <summary>The first four bytes as a big-endian int (the caller checked there are four).</summary>
    public static int ReadLength(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> prefix = stackalloc byte[LengthPrefixSize];
        buffer.Slice(0, LengthPrefixSize).CopyTo(prefix);
        return BinaryPrimitives.ReadInt32BigEndian(prefix);
    }

    /// <summary>Writes <c>length</c> + the given records as one frame.</summary>
    public static void WriteFrame(IBufferWriter<byte> output, IJuteWritable first, IJuteWritable? second = null)
    {
        int size = first.GetSerializedSize() + (second?.GetSerializedSize() ?? 0);
        var writer = new JuteWriter(output);
        writer.WriteInt(size);
        first.Serialize(ref writer);
        second?.Serialize(ref writer);
        writer.Flush();
    }
}
