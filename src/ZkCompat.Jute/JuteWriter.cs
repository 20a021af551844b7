using System.Buffers;
using System.Buffers.Binary;

namespace ZkCompat.Jute;

/// <summary>
/// Big-endian jute encoder straight into an <see cref="IBufferWriter{T}"/> (a pipe, a pooled
/// buffer). It works in a span borrowed from the output and only advances the output on
/// <see cref="Flush"/>: call it once when done.
/// </summary>
public ref struct JuteWriter
{
    private const int ChunkSize = 4096;
    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _buffered;
    private long _committed;

    public JuteWriter(IBufferWriter<byte> output)
    {
        _output = output;
        _span = default;
        _buffered = 0;
        _committed = 0;
    }

    /// <summary>Bytes written so far, flushed or not.</summary>
    public readonly long BytesWritten => _committed + _buffered;

    public void WriteByte(byte value)
    {
        Ensure(1);
        _span[_buffered++] = value;
    }

    public void WriteBool(bool value) => WriteByte(value ? (byte)1 : (byte)0);

    public void WriteInt(int value)
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_span[_buffered..], value);
        _buffered += 4;
    }

    public void WriteLong(long value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt64BigEndian(_span[_buffered..], value);
        _buffered += 8;
    }

    public void WriteFloat(float value) => WriteInt(BitConverter.SingleToInt32Bits(value));

    public void WriteDouble(double value) => WriteLong(BitConverter.DoubleToInt64Bits(value));

    public void WriteUString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }
        int length = JuteStrings.GetByteCount(value);
        WriteInt(length);
        if (length <= ChunkSize)
        {
            Ensure(length);
            JuteStrings.Encode(value, _span[_buffered..]);
            _buffered += length;
        }
        else
        {
            WriteRaw(JuteStrings.Encode(value));
        }
    }

    public void WriteBuffer(byte[]? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }
        WriteBuffer(value.AsSpan());
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        WriteRaw(value);
    }

    /// <summary>A vector's element count, or -1 for a null vector.</summary>
    public void WriteVectorCount(int count) => WriteInt(count);

    public void WriteRecord<T>(T record) where T : IJuteWritable => record.Serialize(ref this);

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_span.Length - _buffered == 0) Ensure(Math.Min(bytes.Length, ChunkSize));
            int n = Math.Min(bytes.Length, _span.Length - _buffered);
            bytes[..n].CopyTo(_span[_buffered..]);
            _buffered += n;
            bytes = bytes[n..];
        }
    }

    public void WriteRaw(in ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes) WriteRaw(segment.Span);
    }

    /// <summary>Commits everything written to the output.</summary>
    public void Flush()
    {
        if (_buffered > 0)
        {
            _output.Advance(_buffered);
            _committed += _buffered;
        }
        _buffered = 0;
        _span = default;
    }

    private void Ensure(int size)
    {
        if (_span.Length - _buffered >= size) return;
        Flush();
        _span = _output.GetSpan(Math.Max(size, 256));
    }
}
