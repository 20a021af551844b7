using System.Buffers.Binary;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Persistence;

/// <summary>Where a log file stops holding whole records: everything from <see cref="Offset"/> on is a partial write.</summary>
public sealed record TornTail(string FilePath, long Offset, string Reason);

/// <summary>
/// Reads txns in zxid order across the log files (Java's <c>FileTxnIterator</c>): starting with the
/// newest file that begins at or before <c>zxid</c>, optionally skipping ahead to it. A file ends at
/// end of file or at preallocated zeros. A partial last record (cut short, zero length, or no 'B'
/// marker) followed by nothing but zeros is a torn tail: it is recorded in <see cref="TornTails"/>
/// and the next file is read. Anything else is an error naming the file and offset: a checksum
/// mismatch, a bad magic, a malformed record, or a broken record with data after it (where Java
/// would silently drop the rest of the file).
/// </summary>
public sealed class TxnLogIterator : IDisposable
{
    private const int ReadBufferSize = 64 * 1024;
    private readonly List<FileInfo> _remaining;
    private readonly TxnLogEntry.ReadOptions _options;
    private readonly List<TornTail> _tornTails = [];
    private Stream? _stream;
    private FileInfo? _file;
    private long _position;
    // One record's bytes, reused: decoding copies out everything an entry keeps.
    private byte[] _record = new byte[4096];
    // While fast-forwarding: records below this zxid are checked (framing, checksum) but not decoded.
    private long _skipBelow = long.MinValue;

    /// <param name="logDir">The <c>version-2</c> directory.</param>
    /// <param name="zxid">The first zxid of interest.</param>
    /// <param name="fastForward">Skip entries below <paramref name="zxid"/>; otherwise start at the first entry of its file.</param>
    public TxnLogIterator(DirectoryInfo logDir, long zxid, TxnLogEntry.ReadOptions options, bool fastForward = true)
    {
        _options = options;
        // Oldest file last, so the next file to read is popped from the end.
        _remaining = [];
        foreach (var f in DataDirFiles.GetLogFiles(logDir, 0).OrderByDescending(f => DataDirFiles.GetZxidFromName(f.Name, DataDirFiles.LogPrefix)))
        {
            _remaining.Add(f);
            if (DataDirFiles.GetZxidFromName(f.Name, DataDirFiles.LogPrefix) < zxid) break;
        }
        _ = NextFile();
        // A restart fast-forwards through most of a log file: only the entries it replays are decoded.
        if (fastForward) _skipBelow = zxid;
        _ = Next();
        _skipBelow = long.MinValue;
    }

    /// <summary>The entry read last; null once the logs are exhausted.</summary>
    public TxnLogEntry? Current { get; private set; }

    public TxnHeader? Header => Current?.Header;

    /// <summary>The file and offset of <see cref="Current"/>.</summary>
    public string? CurrentFile { get; private set; }

    public long CurrentOffset { get; private set; }

    /// <summary>Where <see cref="Current"/>'s record ends (after its 'B' marker) in <see cref="CurrentFile"/>.</summary>
    public long CurrentEndOffset { get; private set; }

    /// <summary>Files that ended in a partial record so far.</summary>
    public IReadOnlyList<TornTail> TornTails => _tornTails;

    /// <summary>Moves to the next entry; false at the end of the last file.</summary>
    /// <exception cref="CorruptDataException">A checksum or format error.</exception>
    public bool Next()
    {
        while (_stream is not null)
        {
            if (TryReadRecord(out var entry, out long offset))
            {
                // Below the fast-forward zxid: checked, not decoded.
                if (entry is null) continue;
                Current = entry;
                CurrentFile = _file!.FullName;
                CurrentOffset = offset;
                CurrentEndOffset = _position;
                return true;
            }
            CloseFile();
            if (!NextFile()) break;
        }
        Current = null;
        return false;
    }

    public void Dispose() => CloseFile();

    /// <summary>The zxid of the last readable entry of the newest log file, or -1 (Java's <c>getLastLoggedZxid</c>).</summary>
    public static long LastLoggedZxid(DirectoryInfo logDir, TxnLogEntry.ReadOptions options)
    {
        var files = DataDirFiles.GetLogFiles(logDir, 0);
        long zxid = files.Count > 0 ? DataDirFiles.GetZxidFromName(files[^1].Name, DataDirFiles.LogPrefix) : -1;
        try
        {
            using var iterator = new TxnLogIterator(logDir, zxid, options);
            while (iterator.Current is not null)
            {
                zxid = iterator.Current.Header.Zxid;
                if (!iterator.Next()) break;
            }
        }
        catch (IOException)
        {
            // As Java: what could be read counts.
        }
        return zxid;
    }

    private bool NextFile()
    {
        while (_remaining.Count > 0)
        {
            _file = _remaining[^1];
            _remaining.RemoveAt(_remaining.Count - 1);
            _stream = new BufferedStream(_file.OpenRead(), ReadBufferSize);
            _position = 0;
            Span<byte> header = stackalloc byte[FileTxnLog.FileHeaderSize];
            int got = ReadFully(header);
            if (got < header.Length || (IsAllZero(header) && RestIsZero()))
            {
                // Created but its header never reached the disk: nothing in it was ever committed.
                _tornTails.Add(new TornTail(_file.FullName, 0, "incomplete file header"));
                CloseFile();
                continue;
            }
            int magic = BinaryPrimitives.ReadInt32BigEndian(header);
            if (magic != FileTxnLog.Magic)
            {
                string path = _file.FullName;
                CloseFile();
                throw new CorruptDataException(path, 0, $"Transaction log has invalid magic number {magic} != {FileTxnLog.Magic}");
            }
            return true;
        }
        return false;
    }

    private bool TryReadRecord(out TxnLogEntry? entry, out long offset)
    {
        entry = null;
        offset = _position;
        Span<byte> frame = stackalloc byte[12];
        int got = ReadFully(frame);
        if (got == 0) return false;
        if (got < frame.Length) return IsAllZero(frame[..got]) ? false : Torn(offset, "partial record header");
        long crc = BinaryPrimitives.ReadInt64BigEndian(frame);
        int length = BinaryPrimitives.ReadInt32BigEndian(frame[8..]);
        if (length == 0)
        {
            // Preallocated space: the end of what was written.
            bool restIsZero = RestIsZero();
            if (crc == 0 && restIsZero) return false;
            return TornIf(restIsZero, offset, "zero record length");
        }
        if (length < 0 || length > _options.Limits.MaxFieldLength)
            throw new CorruptDataException(_file!.FullName, offset, $"Unreasonable length = {length}");

        if (_record.Length < length) _record = new byte[Math.Max(length, _record.Length * 2)];
        var bytes = _record.AsMemory(0, length);
        if (ReadFully(bytes.Span) < length) return Torn(offset, "partial record");
        Span<byte> marker = stackalloc byte[1];
        if (ReadFully(marker) < 1) return Torn(offset, "record without end marker");
        if (marker[0] != FileTxnLog.EndOfRecord) return TornIf(RestIsZero(), offset, "Last transaction was partial.");

        if (Adler32.Compute(bytes.Span) != crc)
            throw new CorruptDataException(_file!.FullName, offset, "CRC check failed");
        // TxnHeader starts {long clientId, int cxid, long zxid}.
        if (length >= 20 && BinaryPrimitives.ReadInt64BigEndian(bytes.Span[12..]) < _skipBelow)
        {
            entry = null;
            return true;
        }
        try
        {
            entry = TxnLogEntry.Unmarshal(bytes, _options);
        }
        catch (IOException e)
        {
            throw new CorruptDataException(_file!.FullName, offset, "unreadable txn: " + e.Message, e);
        }
        return true;
    }

    // A partial record is a torn tail only if nothing but preallocated zeros follows it. Java stops
    // reading the file here either way; data after it means damage in the middle of the log, and
    // dropping it would silently lose committed txns, so that is refused instead.
    private bool TornIf(bool nothingFollows, long offset, string reason)
    {
        if (nothingFollows) return Torn(offset, reason);
        throw new CorruptDataException(_file!.FullName, offset, reason + " but more data follows: the log is damaged in the middle");
    }

    private bool Torn(long offset, string reason)
    {
        _tornTails.Add(new TornTail(_file!.FullName, offset, reason));
        return false;
    }

    private bool RestIsZero()
    {
        var buffer = new byte[ReadBufferSize];
        int n;
        while ((n = ReadFully(buffer)) > 0)
        {
            if (!IsAllZero(buffer.AsSpan(0, n))) return false;
        }
        return true;
    }

    private int ReadFully(Span<byte> buffer)
    {
        int n = _stream!.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        _position += n;
        return n;
    }

    private static bool IsAllZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private void CloseFile()
    {
        _stream?.Dispose();
        _stream = null;
    }
}
