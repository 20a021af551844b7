using System.Buffers;
using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol.Persistence;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// The write side of the txn log (Java's <c>FileTxnLog</c>). Each file starts with
/// <c>FileHeader{ZKLG, 2, 0}</c> and is named after its first zxid; each record is
/// <c>long adler32, int length, entry bytes, 'B'</c>. Files grow in preallocated zero-filled steps.
/// <see cref="Append"/> only buffers; <see cref="Commit"/> writes and fsyncs everything since the
/// last commit, the old file included after a roll, so one fsync covers a whole batch.
/// </summary>
public sealed partial class FileTxnLog : ITxnLog
{
    public const int Magic = 0x5A4B4C47; // "ZKLG"
    public const int Version = 2;
    public const int FileHeaderSize = 16;

    /// <summary>The 'B' that closes each record.</summary>
    public const byte EndOfRecord = 0x42;

    // Bytes buffered before Append writes them out itself: bounds memory for huge batches.
    private const int PendingWriteThreshold = 1024 * 1024;

    private readonly Lock _sync = new();
    private readonly DirectoryInfo _logDir;
    private readonly FileTxnLogOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly ArrayBufferWriter<byte> _pending = new(64 * 1024);

    // Files with writes not yet fsync'd; the last one may be the current file.
    private readonly List<FileStream> _toSync = [];

    private FileStream? _current;
    private long _pendingOffset;  // where _pending's first byte goes in _current
    private long _position;       // logical end: written + pending
    private long _paddedSize;     // the file's length after the last preallocation
    private long _lastZxidSeen;
    private long _prevLogsRunningTotal;
    private int _txnCount;
    private bool _disposed;

    /// <param name="logDir">The <c>version-2</c> directory.</param>
    public FileTxnLog(DirectoryInfo logDir, FileTxnLogOptions options, TimeProvider time, ILogger log)
    {
        _logDir = logDir;
        _options = options;
        _time = time;
        _log = log;
    }

    public long LastLoggedZxid
    {
        get { lock (_sync) return _lastZxidSeen; }
    }

    /// <summary>Set after recovery, so that the next append is checked against what is on disk.</summary>
    public void SetLastLoggedZxid(long zxid)
    {
        lock (_sync) _lastZxidSeen = zxid;
    }

    /// <summary>Txns appended since the last <see cref="ResetTxnStats"/> (Java's <c>ZKDatabase.getTxnCount</c>).</summary>
    public int TxnCount
    {
        get { lock (_sync) return _txnCount; }
    }

    /// <summary>Length of the file being written, preallocation included (Java's <c>getCurrentLogSize</c>).</summary>
    public long CurrentLogSize
    {
        get { lock (_sync) return CurrentLogSizeLocked(); }
    }

    /// <summary>Size of the logs since the last reset (Java's <c>getTotalLogSize</c>).</summary>
    public long TotalLogSize
    {
        get { lock (_sync) return _prevLogsRunningTotal + CurrentLogSizeLocked(); }
    }

    /// <summary>The file being written, if any.</summary>
    public string? CurrentFile
    {
        get { lock (_sync) return _current?.Name; }
    }

    /// <summary>Java's <c>ZKDatabase.resetTxnCount</c>: done with each roll that a snapshot triggers.</summary>
    public void ResetTxnStats()
    {
        lock (_sync)
        {
            _txnCount = 0;
            _prevLogsRunningTotal = 0;
        }
    }

    public void Append(TxnHeader header, IJuteRecord? txn, TxnDigest? digest)
    {
        byte[] entry = TxnLogEntry.Marshal(header, txn, digest);
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (header.Zxid <= _lastZxidSeen) LogZxidNotIncreasing(header.Zxid, _lastZxidSeen, header.Type);
            else _lastZxidSeen = header.Zxid;

            if (_current is null) StartFile(header.Zxid);
            Preallocate();

            var span = _pending.GetSpan(entry.Length + 13);
            BinaryPrimitives.WriteInt64BigEndian(span, Adler32.Compute(entry));
            BinaryPrimitives.WriteInt32BigEndian(span[8..], entry.Length);
            entry.CopyTo(span[12..]);
            span[12 + entry.Length] = EndOfRecord;
            _pending.Advance(entry.Length + 13);
            _position += entry.Length + 13;
            _txnCount++;

            if (_pending.WrittenCount >= PendingWriteThreshold) WritePending();
        }
    }

    /// <summary>Writes what was appended and fsyncs every file touched since the last commit.</summary>
    public void Commit()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            WritePending();
            foreach (var stream in _toSync)
            {
                if (!_options.ForceSync) continue;
                long start = _time.GetTimestamp();
                stream.Flush(flushToDisk: true);
                var elapsed = _time.GetElapsedTime(start);
                if (elapsed.TotalMilliseconds > _options.FsyncWarningThresholdMs)
                    LogSlowFsync((long)elapsed.TotalMilliseconds, stream.Name, stream.Length);
            }
            // Everything but the current file is complete now.
            while (_toSync.Count > 1)
            {
                _toSync[0].Dispose();
                _toSync.RemoveAt(0);
            }
            if (_current is null && _toSync.Count == 1)
            {
                _toSync[0].Dispose();
                _toSync.Clear();
            }

            if (_options.TxnLogSizeLimitBytes > 0 && CurrentLogSizeLocked() > _options.TxnLogSizeLimitBytes)
            {
                LogSizeLimitReached(CurrentLogSizeLocked());
                RollLocked();
            }
        }
    }

    /// <summary>
    /// Ends the current file: the next append starts a new one. Nothing appended is lost; the old
    /// file is fsync'd by the next <see cref="Commit"/>.
    /// </summary>
    public void RollLog()
    {
        lock (_sync) RollLocked();
    }

    /// <summary>
    /// Closes the files being written, as Java closes the log before truncating it and opens a new
    /// one: pending appends are written (not fsync'd), the next append starts a new file, and the
    /// size and count statistics restart. The log stays usable.
    /// </summary>
    public void CloseFiles()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            try
            {
                WritePending();
            }
            finally
            {
                foreach (var stream in _toSync) stream.Dispose();
                _toSync.Clear();
                _current = null;
                _pending.ResetWrittenCount();
                _txnCount = 0;
                _prevLogsRunningTotal = 0;
            }
        }
    }

    public void Dispose()
    {
        lock (_sync)
        {
            if (_disposed) return;
            _disposed = true;
            // Uncommitted entries are written but not fsync'd, as Java's close.
            try
            {
                WritePending();
            }
            finally
            {
                foreach (var stream in _toSync) stream.Dispose();
                _toSync.Clear();
                _current = null;
            }
        }
    }

    /// <summary>
    /// Java's <c>FilePadding.calculateFileSizeWithPadding</c>: within 4 KiB of the preallocated end,
    /// grow by another <paramref name="preAllocSize"/> (past it, round up to a multiple).
    /// </summary>
    public static long CalculateFileSizeWithPadding(long position, long fileSize, long preAllocSize)
    {
        if (preAllocSize > 0 && position + 4096 >= fileSize)
        {
            if (position > fileSize)
            {
                fileSize = position + preAllocSize;
                fileSize -= fileSize % preAllocSize;
            }
            else
            {
                fileSize += preAllocSize;
            }
        }
        return fileSize;
    }

    private void StartFile(long zxid)
    {
        string path = Path.Combine(_logDir.FullName, DataDirFiles.MakeLogName(zxid));
        LogCreatingFile(path);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        var header = new byte[FileHeaderSize];
        BinaryPrimitives.WriteInt32BigEndian(header, Magic);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), Version);
        BinaryPrimitives.WriteInt64BigEndian(header.AsSpan(8), 0);
        // The header goes out before any preallocation, so a file never starts with zeros.
        stream.Write(header);
        _current = stream;
        _toSync.Add(stream);
        _pendingOffset = FileHeaderSize;
        _position = FileHeaderSize;
        _paddedSize = FileHeaderSize;
    }

    private void Preallocate()
    {
        long newSize = CalculateFileSizeWithPadding(_position, _paddedSize, _options.PreAllocSizeBytes);
        if (newSize == _paddedSize) return;
        // Extends with zeros; the pending bytes land inside the grown region.
        _current!.SetLength(Math.Max(newSize, _pendingOffset));
        _paddedSize = newSize;
    }

    private void WritePending()
    {
        if (_pending.WrittenCount == 0 || _current is null) return;
        _current.Position = _pendingOffset;
        _current.Write(_pending.WrittenSpan);
        _pendingOffset += _pending.WrittenCount;
        _pending.ResetWrittenCount();
    }

    private void RollLocked()
    {
        if (_current is null) return;
        WritePending();
        _prevLogsRunningTotal += CurrentLogSizeLocked();
        _current = null;
    }

    private long CurrentLogSizeLocked() => _current is null ? 0 : Math.Max(_paddedSize, _pendingOffset);

    [LoggerMessage(Level = LogLevel.Information, Message = "Creating new log file: {Path}")]
    private partial void LogCreatingFile(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Current zxid 0x{Zxid:x} is <= 0x{Last:x} for type {Type}")]
    private partial void LogZxidNotIncreasing(long zxid, long last, int type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "fsync-ing the write ahead log took {ElapsedMs}ms which will adversely effect operation latency. File {File} size is {Size} bytes. See the ZooKeeper troubleshooting guide")]
    private partial void LogSlowFsync(long elapsedMs, string file, long size);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Log size limit reached: {Size}")]
    private partial void LogSizeLimitReached(long size);
}

/// <summary>Settings of the txn log writer, from <see cref="Config.ServerOptions"/>.</summary>
public sealed record FileTxnLogOptions
{
    /// <summary><c>zookeeper.preAllocSize</c> in bytes; 0 or less disables preallocation.</summary>
    public long PreAllocSizeBytes { get; init; } = 65536L * 1024;

    /// <summary><c>zookeeper.forceSync</c>.</summary>
    public bool ForceSync { get; init; } = true;

    public long FsyncWarningThresholdMs { get; init; } = 1000;

    /// <summary><c>zookeeper.txnLogSizeLimitInKb</c> in bytes; 0 or less: no limit.</summary>
    public long TxnLogSizeLimitBytes { get; init; } = -1;
}
