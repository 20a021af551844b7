using System.Buffers.Binary;
using System.IO.Compression;
using Snappier;

namespace ZkCompat.Server.Persistence;

/// <summary><c>zookeeper.snapshot.compression.method</c> (Java's <c>SnapStream.StreamMode</c>).</summary>
public enum SnapshotCompression
{
    /// <summary>Plain bytes, no extension (Java's CHECKED, the default).</summary>
    None,

    /// <summary>gzip, extension <c>.gz</c>.</summary>
    Gzip,

    /// <summary>snappy-java's stream format, extension <c>.snappy</c>.</summary>
    Snappy,
}

public static class SnapshotCompressions
{
    public const string PropertyName = "zookeeper.snapshot.compression.method";

    public static string Name(this SnapshotCompression mode) => mode switch
    {
        SnapshotCompression.Gzip => "gz",
        SnapshotCompression.Snappy => "snappy",
        _ => "",
    };

    public static string FileExtension(this SnapshotCompression mode) => mode == SnapshotCompression.None ? "" : "." + mode.Name();

    /// <summary>Java's <c>StreamMode.fromString</c>: a case-insensitive name; anything unknown means none.</summary>
    public static SnapshotCompression Parse(string? name)
    {
        foreach (var mode in new[] { SnapshotCompression.Gzip, SnapshotCompression.Snappy, SnapshotCompression.None })
        {
            if (string.Equals(mode.Name(), name ?? "", StringComparison.OrdinalIgnoreCase)) return mode;
        }
        return SnapshotCompression.None;
    }

    /// <summary>The mode a file name's last extension says (Java's <c>getStreamMode(fileName)</c>).</summary>
    public static SnapshotCompression FromFileName(string fileName)
    {
        var parts = fileName.Split('.');
        return parts.Length > 1 ? Parse(parts[^1]) : SnapshotCompression.None;
    }

    /// <summary>Wraps a file stream for reading in <paramref name="mode"/>.</summary>
    public static Stream OpenRead(Stream file, SnapshotCompression mode) => mode switch
    {
        SnapshotCompression.Gzip => new GZipStream(file, CompressionMode.Decompress, leaveOpen: false),
        SnapshotCompression.Snappy => new XerialSnappyReadStream(file),
        _ => file,
    };

    /// <summary>Wraps a file stream for writing in <paramref name="mode"/>; disposing the result finishes the encoding.</summary>
    public static Stream OpenWrite(Stream file, SnapshotCompression mode) => mode switch
    {
        SnapshotCompression.Gzip => new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true),
        SnapshotCompression.Snappy => new XerialSnappyWriteStream(file),
        _ => file,
    };
}

/// <summary>
/// The framing snappy-java's <c>SnappyOutputStream</c> writes: an 8-byte magic, version and
/// compatible version (ints, both 1), then blocks of <c>int compressedLength</c> + a raw snappy block.
/// A further header may follow mid-stream (concatenated streams).
/// </summary>
internal static class XerialSnappy
{
    public static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    public const int HeaderSize = 16;
    public const int Version = 1;
    public const int BlockSize = 32 * 1024;

    public static bool HasMagic(ReadOnlySpan<byte> bytes) => bytes.Length >= Magic.Length && bytes[..Magic.Length].SequenceEqual(Magic);
}

/// <summary>Decodes snappy-java's stream format (read-only, forward-only).</summary>
internal sealed class XerialSnappyReadStream : Stream
{
    private const int MaxBlockLength = 64 * 1024 * 1024;
    private readonly Stream _inner;
    private byte[] _block = [];
    private int _blockLength;
    private int _blockPosition;
    private bool _headerRead;
    private bool _end;

    public XerialSnappyReadStream(Stream inner) => _inner = inner;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        while (_blockPosition == _blockLength)
        {
            if (_end || !NextBlock()) return 0;
        }
        int n = Math.Min(buffer.Length, _blockLength - _blockPosition);
        _block.AsSpan(_blockPosition, n).CopyTo(buffer);
        _blockPosition += n;
        return n;
    }

    private bool NextBlock()
    {
        if (!_headerRead)
        {
            ReadHeader();
            _headerRead = true;
        }
        Span<byte> lengthBytes = stackalloc byte[4];
        int got = _inner.ReadAtLeast(lengthBytes, 4, throwOnEndOfStream: false);
        if (got == 0)
        {
            _end = true;
            return false;
        }
        if (got < 4) throw new InvalidDataException("snappy stream: truncated block length");
        if (lengthBytes[0] == XerialSnappy.Magic[0])
        {
            // Another stream's header: check the rest of it and go on with its blocks.
            Span<byte> rest = stackalloc byte[XerialSnappy.HeaderSize - 4];
            _inner.ReadExactly(rest);
            Span<byte> header = stackalloc byte[XerialSnappy.HeaderSize];
            lengthBytes.CopyTo(header);
            rest.CopyTo(header[4..]);
            if (!XerialSnappy.HasMagic(header)) throw new InvalidDataException("snappy stream: bad block length");
            return true;
        }
        int length = BinaryPrimitives.ReadInt32BigEndian(lengthBytes);
        // snappy-java blocks are 32 KiB by default; anything near this bound is damage, not data.
        if (length is < 0 or > MaxBlockLength) throw new InvalidDataException($"snappy stream: bad block length {length}");
        var compressed = new byte[length];
        _inner.ReadExactly(compressed);
        int size = Snappy.GetUncompressedLength(compressed);
        if (_block.Length < size) _block = new byte[Math.Max(size, XerialSnappy.BlockSize)];
        _blockLength = Snappy.Decompress(compressed, _block);
        _blockPosition = 0;
        return true;
    }

    private void ReadHeader()
    {
        Span<byte> header = stackalloc byte[XerialSnappy.HeaderSize];
        try
        {
            _inner.ReadExactly(header);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("not a snappy-java stream: too short", e);
        }
        if (!XerialSnappy.HasMagic(header)) throw new InvalidDataException("not a snappy-java stream: bad magic header");
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Encodes snappy-java's stream format in 32 KiB blocks; leaves the inner stream open.</summary>
internal sealed class XerialSnappyWriteStream : Stream
{
    private readonly Stream _inner;
    private readonly byte[] _pending = new byte[XerialSnappy.BlockSize];
    private readonly byte[] _compressed = new byte[4 + Snappy.GetMaxCompressedLength(XerialSnappy.BlockSize)];
    private int _pendingLength;
    private bool _headerWritten;

    public XerialSnappyWriteStream(Stream inner) => _inner = inner;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int n = Math.Min(buffer.Length, _pending.Length - _pendingLength);
            buffer[..n].CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += n;
            buffer = buffer[n..];
            if (_pendingLength == _pending.Length) WriteBlock();
        }
    }

    public override void Flush()
    {
        WriteBlock();
        _inner.Flush();
    }

    private void WriteBlock()
    {
        if (!_headerWritten)
        {
            Span<byte> header = stackalloc byte[XerialSnappy.HeaderSize];
            XerialSnappy.Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32BigEndian(header[8..], XerialSnappy.Version);
            BinaryPrimitives.WriteInt32BigEndian(header[12..], XerialSnappy.Version);
            _inner.Write(header);
            _headerWritten = true;
        }
        if (_pendingLength == 0) return;
        int size = Snappy.Compress(_pending.AsSpan(0, _pendingLength), _compressed.AsSpan(4));
        BinaryPrimitives.WriteInt32BigEndian(_compressed, size);
        _inner.Write(_compressed, 0, 4 + size);
        _pendingLength = 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) WriteBlock();
        base.Dispose(disposing);
    }
}
