using System.Buffers;
using ZkCompat.Jute;

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

/// <summary>
/// A window over a snapshot stream that is read in 1 MiB pieces as parsing needs them, so a load
/// holds at most a piece or so of the file, not all of it. Keeps the running Adler-32 of the bytes
/// consumed (the seals' checksum).
/// </summary>
internal sealed class SnapshotInputWindow
{
    private const int ChunkSize = 1024 * 1024;
    private readonly Stream _stream;
    private readonly Func<Exception, Exception> _onStreamError;
    private byte[] _buffer = new byte[ChunkSize];
    private int _start;
    private int _end;
    private int _checksummed;
    private long _dropped;
    private Adler32 _checksum;

    /// <param name="onStreamError">Turns a decoding failure of the stream into the exception to throw.</param>
    public SnapshotInputWindow(Stream stream, Func<Exception, Exception> onStreamError)
    {
        _stream = stream;
        _onStreamError = onStreamError;
    }

    /// <summary>True once the stream has nothing more: a short read then is a truncated file.</summary>
    public bool AtEnd { get; private set; }

    /// <summary>Bytes consumed since the start of the stream.</summary>
    public long Consumed => _dropped + _start;

    public ReadOnlyMemory<byte> Unread => _buffer.AsMemory(_start, _end - _start);

    public void Advance(long count) => _start += checked((int)count);

    /// <summary>Adler-32 of every byte consumed so far.</summary>
    public long Checksum()
    {
        _checksum.Update(_buffer.AsSpan(_checksummed, _start - _checksummed));
        _checksummed = _start;
        return _checksum.Value;
    }

    /// <summary>Parses one value, reading more of the stream (and retrying) while the window is too short for it.</summary>
    public T Parse<T>(JuteRead<T> read, JuteLimits limits)
    {
        while (true)
        {
            var reader = new JuteReader(Unread, limits);
            try
            {
                T value = read(ref reader);
                Advance(reader.Consumed);
                return value;
            }
            catch (JuteEndOfStreamException) when (!AtEnd)
            {
                Fill();
            }
        }
    }

    /// <summary>Reads until at least <paramref name="count"/> bytes are unread or the stream ends.</summary>
    public void EnsureUnread(int count)
    {
        while (_end - _start < count && !AtEnd) Fill();
    }

    /// <summary>
    /// Reads more of the stream: drops the consumed bytes (after checksumming them) and, when the
    /// unread part already fills the buffer, doubles it.
    /// </summary>
    public void Fill()
    {
        if (AtEnd) return;
        Checksum();
        int unread = _end - _start;
        if (unread == _buffer.Length)
        {
            Array.Resize(ref _buffer, checked(_buffer.Length * 2));
        }
        else if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, unread);
        }
        _dropped += _start;
        _start = _checksummed = 0;
        _end = unread;

        int space = _buffer.Length - _end;
        int n;
        try
        {
            n = _stream.ReadAtLeast(_buffer.AsSpan(_end, space), space, throwOnEndOfStream: false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException or IndexOutOfRangeException)
        {
            throw _onStreamError(e);
        }
        _end += n;
        if (n < space) AtEnd = true;
    }
}

/// <summary>Reads one value off a <see cref="JuteReader"/>.</summary>
internal delegate T JuteRead<T>(ref JuteReader reader);
