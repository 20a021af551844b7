using System.Buffers;
using System.Buffers.Binary;

namespace ZkCompat.Jute;

/// <summary>
/// Big-endian jute decoder over a <see cref="ReadOnlySequence{T}"/>. The input is expected to hold
/// the whole record (frames are delimited before decoding), so running short is an error
/// (<see cref="JuteEndOfStreamException"/>), and every length is checked against
/// <see cref="JuteLimits"/> before anything is allocated.
/// </summary>
public ref struct JuteReader
{
    private SequenceReader<byte> _reader;
    private readonly JuteLimits _limits;

    public JuteReader(ReadOnlySequence<byte> input) : this(input, JuteLimits.Default) { }

    public JuteReader(ReadOnlySequence<byte> input, JuteLimits limits)
    {
        _reader = new SequenceReader<byte>(input);
        _limits = limits;
    }

    public JuteReader(ReadOnlyMemory<byte> input) : this(new ReadOnlySequence<byte>(input), JuteLimits.Default) { }

    public JuteReader(ReadOnlyMemory<byte> input, JuteLimits limits) : this(new ReadOnlySequence<byte>(input), limits) { }

    public readonly JuteLimits Limits => _limits;
    public readonly long Consumed => _reader.Consumed;
    public readonly long Remaining => _reader.Remaining;
    public readonly bool End => _reader.End;

    /// <summary>What is left, without consuming it.</summary>
    public readonly ReadOnlySequence<byte> UnreadSequence => _reader.UnreadSequence;

    public byte ReadByte()
    {
        if (!_reader.TryRead(out byte value)) throw Short("byte", 1);
        return value;
    }

    /// <summary>Java's <c>readBoolean</c>: any non-zero byte is true.</summary>
    public bool ReadBool()
    {
        if (!_reader.TryRead(out byte value)) throw Short("boolean", 1);
        return value != 0;
    }

    public int ReadInt()
    {
        if (!_reader.TryReadBigEndian(out int value)) throw Short("int", 4);
        return value;
    }

    public long ReadLong()
    {
        if (!_reader.TryReadBigEndian(out long value)) throw Short("long", 8);
        return value;
    }

    public float ReadFloat() => BitConverter.Int32BitsToSingle(ReadInt());

    public double ReadDouble() => BitConverter.Int64BitsToDouble(ReadLong());

    public string? ReadUString()
    {
        int length = ReadLength("ustring");
        if (length < 0) return null;
        if (length == 0) return string.Empty;
        ReadOnlySpan<byte> unread = _reader.UnreadSpan;
        if (unread.Length >= length)
        {
            string fast = JuteStrings.Decode(unread[..length]);
            _reader.Advance(length);
            return fast;
        }
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            _reader.TryCopyTo(rented.AsSpan(0, length));
            _reader.Advance(length);
            return JuteStrings.Decode(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public byte[]? ReadBuffer()
    {
        int length = ReadLength("buffer");
        if (length < 0) return null;
        if (length == 0) return [];
        var result = new byte[length];
        _reader.TryCopyTo(result);
        _reader.Advance(length);
        return result;
    }

    /// <summary>
    /// Reads a vector's element count: -1 means null. A count below -1, or one that cannot fit in
    /// what is left given each element takes at least <paramref name="minElementSize"/> bytes, is
    /// rejected here so no caller pre-sizes a list from a hostile count.
    /// </summary>
    public int ReadVectorCount(int minElementSize)
    {
        int count = ReadInt();
        if (count == -1) return -1;
        if (count < 0) throw new JuteLengthException("vector", count, _limits.MaxFieldLength);
        long needed = (long)count * Math.Max(1, minElementSize);
        if (needed > _reader.Remaining) throw new JuteEndOfStreamException("vector", needed, _reader.Remaining);
        return count;
    }

    public T ReadRecord<T>() where T : IJuteRecord<T> => T.Deserialize(ref this);

    /// <summary>Consumes <paramref name="count"/> raw bytes (for bodies jute does not describe).</summary>
    public ReadOnlySequence<byte> ReadRaw(long count)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count));
        if (_reader.Remaining < count) throw Short("raw bytes", count);
        var slice = _reader.UnreadSequence.Slice(0, count);
        _reader.Advance(count);
        return slice;
    }

    /// <summary>Throws unless every byte was consumed (a record followed by junk is malformed).</summary>
    public readonly void EnsureEnd(string what)
    {
        if (!_reader.End)
            throw new JuteException($"{_reader.Remaining} unexpected trailing bytes after {what}");
    }

    private int ReadLength(string what)
    {
        int length = ReadInt();
        if (length == -1) return -1;
        // Java's checkLength: len < 0 || len > maxBuffer + extraMaxBuffer.
        if (length < 0 || length > _limits.MaxFieldLength)
            throw new JuteLengthException(what, length, _limits.MaxFieldLength);
        if (_reader.Remaining < length) throw Short(what, length);
        return length;
    }

    private readonly JuteEndOfStreamException Short(string what, long needed) =>
        new(what, needed, _reader.Remaining);
}
