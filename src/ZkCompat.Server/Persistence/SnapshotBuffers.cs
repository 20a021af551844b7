using System.Buffers;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> in front of a stream that keeps the running Adler-32 of all bytes
/// written, which the snapshot's seals record (Java's <c>CheckedOutputStream</c>).
/// </summary>
internal sealed class ChecksummedStreamWriter : IBufferWriter<byte>
{
    private const int BufferSize = 64 * 1024;
    private readonly Stream _stream;
    private byte[] _buffer = new byte[BufferSize];
    private int _used;
    private Adler32 _checksum;

    public ChecksummedStreamWriter(Stream stream) => _stream = stream;

    /// <summary>Adler-32 of every byte advanced so far.</summary>
    public long Checksum => _checksum.Value;

    public long BytesWritten { get; private set; }

    public void Advance(int count)
    {
        _checksum.Update(_buffer.AsSpan(_used, count));
        _used += count;
        BytesWritten += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Reserve(sizeHint);
        return _buffer.AsSpan(_used);
    }

    /// <summary>Hands the buffered bytes to the stream.</summary>
    public void Flush()
    {
        if (_used == 0) return;
        _stream.Write(_buffer, 0, _used);
        _used = 0;
    }

    private void Reserve(int sizeHint)
    {
        int needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _used >= needed) return;
        Flush();
        if (_buffer.Length < needed) _buffer = new byte[needed];
    }
}

/// <summary>Reads a whole stream into a chain of fixed-size segments (no 2 GiB array limit).</summary>
internal static class SequenceReading
{
    private const int SegmentSize = 1024 * 1024;

    public static ReadOnlySequence<byte> ReadAll(Stream stream)
    {
        Segment? first = null, last = null;
        while (true)
        {
            var chunk = new byte[SegmentSize];
            int n = stream.ReadAtLeast(chunk, SegmentSize, throwOnEndOfStream: false);
            if (n == 0) break;
            var memory = chunk.AsMemory(0, n);
            if (last is null) first = last = new Segment(memory, 0);
            else last = last.Append(memory);
            if (n < SegmentSize) break;
        }
        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
