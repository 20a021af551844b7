using System.Text;
using Microsoft.Extensions.Logging;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Persistence;

/// <summary>What a restore found.</summary>
/// <param name="Zxid">The highest zxid restored; 0 for a new database, -1 when an empty one was not trusted.</param>
/// <param name="SnapshotFile">The snapshot the tree was loaded from; null without one.</param>
/// <param name="SkippedSnapshots">Newer snapshots that were unreadable, with why.</param>
/// <param name="TornTails">Log files that ended in a partial record.</param>
public sealed record RestoreResult(long Zxid, string? SnapshotFile, IReadOnlyList<CorruptDataException> SkippedSnapshots,
    IReadOnlyList<TornTail> TornTails, int TxnsLoaded);

/// <summary>Settings of <see cref="FileTxnSnapLog"/> (from <see cref="Config.ServerOptions"/>).</summary>
public sealed record FileTxnSnapLogOptions
{
    /// <summary><c>zookeeper.datadir.autocreate</c>: create missing <c>version-2</c> directories.</summary>
    public bool AutoCreateDirs { get; init; } = true;

    /// <summary><c>zookeeper.db.autocreate</c>: an empty directory is a valid empty database.</summary>
    public bool AutoCreateDb { get; init; } = true;

    /// <summary><c>zookeeper.snapshot.trust.empty</c>: logs without any snapshot are accepted (upgrades from 3.4).</summary>
    public bool TrustEmptySnapshot { get; init; }

    public SnapshotCompression SnapshotCompression { get; init; } = SnapshotCompression.None;

    public TxnLogEntry.ReadOptions ReadOptions { get; init; } = TxnLogEntry.ReadOptions.Default;

    public FileTxnLogOptions LogOptions { get; init; } = new();

    /// <summary>For tools that only look: an empty database gets no <c>snapshot.0</c>.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>How many of the newest snapshots are tried before giving up, as in Java.</summary>
    public int MaxSnapshotsToTry { get; init; } = 100;
}

/// <summary>
/// Snapshots plus txn log over a data directory and a log directory (Java's <c>FileTxnSnapLog</c>):
/// both keep their files in a <c>version-2</c> subdirectory. Restores a tree from the newest
/// readable snapshot and the txns logged after it, and saves snapshots.
/// </summary>
public sealed partial class FileTxnSnapLog : IDisposable
{
    private readonly ILogger _log;
    private readonly FileTxnSnapLogOptions _options;

    /// <exception cref="IOException">A missing directory that may not be created, or log and snapshot files in the wrong directory.</exception>
    public FileTxnSnapLog(string dataLogDir, string dataDir, FileTxnSnapLogOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        _options = options;
        _log = loggers.CreateLogger("ZkCompat.Server.Persistence.FileTxnSnapLog");
        LogDir = new DirectoryInfo(Path.Combine(dataLogDir, DataDirFiles.VersionDirectory));
        SnapDir = new DirectoryInfo(Path.Combine(dataDir, DataDirFiles.VersionDirectory));
        EnsureDirectory(LogDir, "data");
        EnsureDirectory(SnapDir, "snap");
        if (!PathsEqual(LogDir.FullName, SnapDir.FullName))
        {
            if (LogDir.GetFiles().Any(f => DataDirFiles.IsSnapshotFileName(f.Name)))
                throw new IOException("Log directory has snapshot files. Check if dataLogDir and dataDir configuration is correct.");
            if (SnapDir.GetFiles().Any(f => DataDirFiles.IsLogFileName(f.Name)))
                throw new IOException("Snapshot directory has log files. Check if dataLogDir and dataDir configuration is correct.");
        }
        TxnLog = new FileTxnLog(LogDir, options.LogOptions, time, loggers.CreateLogger("ZkCompat.Server.Persistence.FileTxnLog"));
    }

    /// <summary>The txn log's <c>version-2</c> directory.</summary>
    public DirectoryInfo LogDir { get; }

    /// <summary>The snapshots' <c>version-2</c> directory (also holds the epoch files).</summary>
    public DirectoryInfo SnapDir { get; }

    public FileTxnLog TxnLog { get; }

    /// <summary>
    /// Restores <paramref name="tree"/> and <paramref name="sessions"/> (Java's <c>restore</c>): the
    /// newest snapshot that reads back whole (newer corrupt ones are skipped, as Java does), then
    /// every logged txn after it. With no snapshot and no log, an empty database gets
    /// <c>snapshot.0</c>. Never leaves a partial tree: any failure throws.
    /// </summary>
    /// <param name="newTree">Makes the empty tree each snapshot attempt loads into.</param>
    /// <param name="onTxnLoaded">Sees each replayed txn (Java's <c>PlayBackListener</c>).</param>
    /// <exception cref="IOException">No usable snapshot while there is data, or a corrupt log.</exception>
    public (DataTree Tree, RestoreResult Result) Restore(Func<DataTree> newTree, IDictionary<long, int> sessions,
        Action<TxnLogEntry>? onTxnLoaded = null)
    {
        var skipped = new List<CorruptDataException>();
        DataTree? tree = null;
        FileInfo? loadedFrom = null;
        var candidates = SnapshotFile.FindValidSnapshots(SnapDir, _options.MaxSnapshotsToTry);
        foreach (var snapshot in candidates)
        {
            LogReadingSnapshot(snapshot.FullName);
            var attempt = newTree();
            var attemptSessions = new Dictionary<long, int>();
            try
            {
                SnapshotFile.Read(snapshot, attempt, attemptSessions, _options.ReadOptions.Limits);
            }
            catch (CorruptDataException e)
            {
                LogBadSnapshot(e.Message);
                skipped.Add(e);
                continue;
            }
            tree = attempt;
            loadedFrom = snapshot;
            sessions.Clear();
            foreach (var (id, timeout) in attemptSessions) sessions[id] = timeout;
            break;
        }

        if (tree is null && candidates.Count > 0)
        {
            var why = new StringBuilder($"Not able to find valid snapshots in {SnapDir.FullName}:");
            foreach (var e in skipped) why.Append("\n  ").Append(e.Message);
            throw new IOException(why.ToString(), skipped[0]);
        }

        if (tree is null)
        {
            tree = newTree();
            sessions.Clear();
            var initFile = new FileInfo(Path.Combine(LogDir.Parent!.FullName, "initialize"));
            bool trustEmptyDb = _options.AutoCreateDb;
            if (initFile.Exists && !_options.ReadOnly)
            {
                initFile.Delete();
                trustEmptyDb = true;
            }
            if (TxnLogIterator.LastLoggedZxid(LogDir, _options.ReadOptions) != -1)
            {
                if (!_options.TrustEmptySnapshot)
                    throw new IOException($"No snapshot found, but there are log entries in {LogDir.FullName}. Something is broken!");
                LogTrustingEmptySnapshot();
                return (tree, FastForward(tree, sessions, onTxnLoaded, null, skipped));
            }
            if (trustEmptyDb)
            {
                if (!_options.ReadOnly) Save(tree, sessions, fsync: true);
                return (tree, new RestoreResult(0, null, skipped, [], 0));
            }
            LogUntrustedEmptyDb();
            tree.LastProcessedZxid = -1;
            return (tree, new RestoreResult(-1, null, skipped, [], 0));
        }

        return (tree, FastForward(tree, sessions, onTxnLoaded, loadedFrom!.FullName, skipped));
    }

    private RestoreResult FastForward(DataTree tree, IDictionary<long, int> sessions, Action<TxnLogEntry>? onTxnLoaded,
        string? snapshot, List<CorruptDataException> skipped)
    {
        var (highest, loaded, torn) = FastForwardFromEdits(tree, sessions, onTxnLoaded);
        if (tree.DigestFromLoadedSnapshot is { } pending)
            LogDigestNotCovered(highest, pending.Zxid);
        return new RestoreResult(highest, snapshot, skipped, torn, loaded);
    }

    /// <summary>
    /// Applies every logged txn after the tree's last processed zxid (Java's <c>fastForwardFromEdits</c>):
    /// createSession/closeSession also update <paramref name="sessions"/>, each txn's digest is checked,
    /// and failures such as NoNode/NodeExists (a fuzzy snapshot's overlap) are expected and ignored.
    /// </summary>
    public (long HighestZxid, int TxnsLoaded, IReadOnlyList<TornTail> TornTails) FastForwardFromEdits(
        DataTree tree, IDictionary<long, int> sessions, Action<TxnLogEntry>? onTxnLoaded = null)
    {
        long highest = tree.LastProcessedZxid;
        int loaded = 0;
        using var iterator = new TxnLogIterator(LogDir, tree.LastProcessedZxid + 1, _options.ReadOptions);
        while (iterator.Current is { } entry)
        {
            var header = entry.Header;
            if (header.Zxid < highest && highest != 0) LogZxidBackwards(highest, header.Zxid, header.Type);
            else highest = header.Zxid;

            ProcessTransaction(tree, sessions, entry);
            tree.CompareDigest(header.Zxid, entry.Digest);
            loaded++;
            onTxnLoaded?.Invoke(entry);
            if (!iterator.Next()) break;
        }
        foreach (var torn in iterator.TornTails) LogTornTail(torn.FilePath, torn.Offset, torn.Reason);
        LogTxnsLoaded(loaded);
        return (highest, loaded, iterator.TornTails.ToArray());
    }

    /// <summary>Applies one replayed txn, keeping the session table in step (Java's <c>processTransaction</c>).</summary>
    public static ProcessTxnResult ProcessTransaction(DataTree tree, IDictionary<long, int> sessions, TxnLogEntry entry)
    {
        var header = entry.Header;
        switch ((OpCode)header.Type)
        {
            case OpCode.CreateSession:
                sessions[header.ClientId] = ((CreateSessionTxn)entry.Txn!).TimeOut;
                break;
            case OpCode.CloseSession:
                sessions.Remove(header.ClientId);
                break;
        }
        return tree.ProcessTxn(header, entry.Txn);
    }

    /// <summary>
    /// Writes a snapshot named after the tree's last processed zxid as it is now (Java's <c>save</c>).
    /// It appears under its name only once complete, so a failure (a full disk) never hides older ones.
    /// </summary>
    /// <returns>The snapshot file.</returns>
    public FileInfo Save(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions, bool fsync)
    {
        long zxid = tree.LastProcessedZxid;
        var file = new FileInfo(Path.Combine(SnapDir.FullName, DataDirFiles.MakeSnapshotName(zxid, _options.SnapshotCompression)));
        LogSnapshotting(zxid, file.FullName);
        SnapshotFile.Write(file.FullName, tree, sessions, _options.SnapshotCompression, fsync);
        file.Refresh();
        return file;
    }

    /// <summary>
    /// Cuts partial records off the ends of log files, so later appends and readers never meet them.
    /// A file whose header never made it to disk is removed.
    /// </summary>
    public void TruncateTornTails(IEnumerable<TornTail> tornTails)
    {
        foreach (var torn in tornTails)
        {
            var file = new FileInfo(torn.FilePath);
            if (!file.Exists) continue;
            if (torn.Offset < FileTxnLog.FileHeaderSize)
            {
                LogRemovingTornFile(file.FullName);
                file.Delete();
                continue;
            }
            LogTruncating(file.FullName, torn.Offset);
            using var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Write, FileShare.Read);
            stream.SetLength(torn.Offset);
            stream.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// Removes every logged txn after <paramref name="zxid"/>, for a learner told to TRUNC (Java's
    /// <c>truncateLog</c>): the writer's files are closed (its next append starts a new file), the file
    /// holding the last txn at or before <paramref name="zxid"/> is cut right after it, and every later
    /// log file is deleted. Snapshots named after a later zxid are deleted first: they hold txns being
    /// undone and a restart would load them (Java 3.8 leaves them, and its restore then overshoots).
    /// Unlike Java, a zxid missing from the log does not keep the first txn after it.
    /// </summary>
    /// <returns>The zxid of the last txn left in the log at or before <paramref name="zxid"/>; -1 if none.</returns>
    /// <exception cref="IOException">
    /// No snapshot at or before <paramref name="zxid"/> to rebuild from (nothing is changed then), a damaged
    /// log, or a file that cannot be cut or deleted.
    /// </exception>
    public long TruncateLog(long zxid)
    {
        TxnLog.CloseFiles();
        if (!_options.TrustEmptySnapshot && !HasSnapshotAtOrBefore(zxid))
            throw new IOException($"Unable to truncate the txn log to 0x{zxid:x}: no snapshot at or before it in {SnapDir.FullName} to rebuild the database from");

        // Read only, first: a damaged log fails before anything is removed.
        string? keepFile = null;
        long keepEnd = 0;
        long lastKept = -1;
        using (var iterator = new TxnLogIterator(LogDir, zxid, _options.ReadOptions, fastForward: false))
        {
            while (iterator.Current is { } entry && entry.Header.Zxid <= zxid)
            {
                keepFile = iterator.CurrentFile;
                keepEnd = iterator.CurrentEndOffset;
                lastKept = entry.Header.Zxid;
                if (!iterator.Next()) break;
            }
        }

        // Newer snapshots go before the log is cut: a crash in between then restores the old history
        // whole (and the leader sends TRUNC again) rather than a snapshot ahead of a cut log.
        foreach (var snapshot in DataDirFiles.SortByZxid(SnapDir, DataDirFiles.SnapshotPrefix, ascending: true))
        {
            if (!DataDirFiles.IsSnapshotFileName(snapshot.Name) || DataDirFiles.GetZxidFromName(snapshot.Name, DataDirFiles.SnapshotPrefix) <= zxid) continue;
            LogDeletingSnapshot(snapshot.FullName, zxid);
            snapshot.Delete();
        }

        long keepStart = zxid;
        if (keepFile is not null)
        {
            keepStart = DataDirFiles.GetZxidFromName(Path.GetFileName(keepFile), DataDirFiles.LogPrefix);
            using var stream = new FileStream(keepFile, FileMode.Open, FileAccess.Write, FileShare.Read);
            if (stream.Length != keepEnd)
            {
                // Exactly at the record's end, as Java: the preallocated zeros go too.
                LogCuttingLog(keepFile, keepEnd, lastKept);
                stream.SetLength(keepEnd);
                stream.Flush(flushToDisk: true);
            }
        }
        foreach (var later in DataDirFiles.SortByZxid(LogDir, DataDirFiles.LogPrefix, ascending: true))
        {
            if (!DataDirFiles.IsLogFileName(later.Name) || DataDirFiles.GetZxidFromName(later.Name, DataDirFiles.LogPrefix) <= keepStart) continue;
            LogDeletingLog(later.FullName, zxid);
            later.Delete();
        }
        return lastKept;
    }

    private bool HasSnapshotAtOrBefore(long zxid) =>
        SnapshotFile.FindValidSnapshots(SnapDir, int.MaxValue)
            .Any(f => DataDirFiles.GetZxidFromName(f.Name, DataDirFiles.SnapshotPrefix) <= zxid);

    /// <summary>The last zxid in the logs, or -1 (Java's <c>getLastLoggedZxid</c>).</summary>
    public long GetLastLoggedZxid() => TxnLogIterator.LastLoggedZxid(LogDir, _options.ReadOptions);

    public void Dispose() => TxnLog.Dispose();

    private void EnsureDirectory(DirectoryInfo dir, string what)
    {
        if (dir.Exists) return;
        if (!_options.AutoCreateDirs)
        {
            throw new IOException(
                $"Missing {what} directory {dir.FullName}, automatic data directory creation is disabled (zookeeper.datadir.autocreate is false). Please create this directory manually.");
        }
        dir.Create();
    }

    private static bool PathsEqual(string a, string b) =>
        string.Equals(Path.TrimEndingDirectorySeparator(a), Path.TrimEndingDirectorySeparator(b), StringComparison.Ordinal);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reading snapshot {File}")]
    private partial void LogReadingSnapshot(string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "problem reading snap file: {Problem}")]
    private partial void LogBadSnapshot(string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No snapshot found, but there are log entries. This should only be allowed during upgrading.")]
    private partial void LogTrustingEmptySnapshot();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unexpected empty data tree, setting zxid to -1")]
    private partial void LogUntrustedEmptyDb();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Highest txn zxid 0x{Highest:x} is not covering the snapshot digest zxid 0x{DigestZxid:x}, which might lead to inconsistent state")]
    private partial void LogDigestNotCovered(long highest, long digestZxid);

    [LoggerMessage(Level = LogLevel.Error, Message = "0x{Highest:x}(highestZxid) > 0x{Next:x}(next log) for type {Type}")]
    private partial void LogZxidBackwards(long highest, long next, int type);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Txn log {File} ends in a partial record at offset {Offset} ({Reason})")]
    private partial void LogTornTail(string file, long offset, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} txns loaded")]
    private partial void LogTxnsLoaded(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshotting: 0x{Zxid:x} to {File}")]
    private partial void LogSnapshotting(long zxid, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Truncating txn log {File} to {Offset} bytes: partial record after a crash")]
    private partial void LogTruncating(string file, long offset);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Truncating txn log {File} to {Offset} bytes: last txn kept 0x{Zxid:x}")]
    private partial void LogCuttingLog(string file, long offset, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting txn log {File}: it only holds txns after 0x{Zxid:x}")]
    private partial void LogDeletingLog(string file, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting snapshot {File}: it is newer than the truncation point 0x{Zxid:x}")]
    private partial void LogDeletingSnapshot(string file, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing txn log {File}: its header was never written")]
    private partial void LogRemovingTornFile(string file);
}
