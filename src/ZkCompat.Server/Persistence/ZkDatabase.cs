using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Jute;
using ZkCompat.Server.Config;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// The durable database of a server (Java's <c>ZKDatabase</c> over <c>FileTxnSnapLog</c>): the tree,
/// the session table, the txn log the sync stage writes, snapshots and their trigger, purge.
/// </summary>
/// <remarks>
/// Startup: construct, <see cref="LoadDataBase"/>, hand <see cref="Tree"/>, <see cref="Sessions"/>
/// and <see cref="TxnLog"/> to the server. In the sync stage, after each <c>TxnLog.Append</c> ask
/// <see cref="ShouldSnapshot"/>; when true call <see cref="RollLogAndStartSnapshot"/>, then
/// <c>TxnLog.Commit()</c> once for the batch as usual.
/// </remarks>
public sealed partial class ZkDatabase : IDisposable, IAsyncDisposable
{
    private readonly ServerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _snapshotRunning = new(1, 1);

    public ZkDatabase(ServerOptions options, TimeProvider time, ILoggerFactory loggers, Random? random = null)
    {
        _options = options;
        _time = time;
        _log = loggers.CreateLogger("ZkCompat.Server.Persistence.ZkDatabase");
        SnapLog = new FileTxnSnapLog(options.DataLogDir, options.DataDir, SnapLogOptions(options), time, loggers);
        Tree = NewTree();
        SnapshotTrigger = new SnapshotTrigger(options.SnapCount, options.SnapSizeLimitInKb * 1024, random ?? new Random());
        CommittedLog = new CommittedLog(CommittedLog.CapacityFrom(options));
        if (JavaText.TryParseInt(options.GetProperty(CommittedLog.CountPropertyName), out int configured) && configured < CommittedLog.DefaultCount)
            LogCommitLogCountRaised(configured, CommittedLog.DefaultCount);
        LogCommitLogCount(CommittedLog.Capacity);
    }

    /// <summary>For tools: system clock, no logging.</summary>
    public ZkDatabase(ServerOptions options) : this(options, TimeProvider.System, NullLoggerFactory.Instance) { }

    /// <summary>The tree; replaced by <see cref="LoadDataBase"/>/<see cref="Restore"/>, so read it after them.</summary>
    public DataTree Tree { get; private set; }

    /// <summary>
    /// Session id → timeout, restored from the snapshot and the log. The session tracker should keep
    /// it current (add on create, remove on close/expire): snapshots default to it.
    /// </summary>
    public ConcurrentDictionary<long, int> SessionsWithTimeouts { get; } = new();

    public IReadOnlyDictionary<long, int> Sessions => SessionsWithTimeouts;

    public FileTxnSnapLog SnapLog { get; }

    /// <summary>The log the sync stage appends to and commits (group commit, fsync when forceSync).</summary>
    public ITxnLog TxnLog => SnapLog.TxnLog;

    public FileTxnLog FileTxnLog => SnapLog.TxnLog;

    public SnapshotTrigger SnapshotTrigger { get; }

    /// <summary>
    /// The newest committed proposals, for syncing learners (Java's <c>committedLog</c>). Each restore
    /// refills it with the last txns it replayed from the log; in quorum mode the runtime adds each
    /// committed txn. The same instance for the life of the database.
    /// </summary>
    public CommittedLog CommittedLog { get; }

    /// <summary>True once a restore ran (Java's <c>isInitialized</c>).</summary>
    public bool IsInitialized { get; private set; }

    /// <summary>What the last restore found (snapshot used, skipped ones, torn log tails).</summary>
    public RestoreResult? LastRestore { get; private set; }

    /// <summary>
    /// Standalone startup (Java's <c>ZooKeeperServer.loadData</c> after <c>ZKDatabase.loadDataBase</c>):
    /// restore, cut torn log tails, delete the ephemerals of sessions that no longer exist, and
    /// write a fresh snapshot. Returns the last processed zxid.
    /// </summary>
    /// <exception cref="IOException">Nothing valid to restore from, or a corrupt log (the message names file and offset).</exception>
    public long LoadDataBase()
    {
        long zxid = Restore();
        SnapLog.TruncateTornTails(LastRestore!.TornTails);
        SnapshotFile.DeleteTempFiles(SnapLog.SnapDir);
        foreach (long session in Tree.GetSessionsWithEphemerals())
        {
            if (!SessionsWithTimeouts.ContainsKey(session)) Tree.KillSession(session, Tree.LastProcessedZxid);
        }
        // Not synced, as Java's startup snapshot (takeSnapshot(false)): everything in it is in the synced
        // log too, and a torn file is skipped on the next load. Syncing hundreds of MB delays serving.
        TakeSnapshot(fsync: false);
        return zxid;
    }

    /// <summary>
    /// Restores the tree and sessions from disk without writing anything but <c>snapshot.0</c> for a new
    /// database (Java's <c>ZKDatabase.loadDataBase</c>). Returns the highest zxid restored.
    /// </summary>
    public long Restore()
    {
        var sessions = new Dictionary<long, int>();
        // Only the newest entries survive; they are marshalled once the replay is done.
        var replayed = new Queue<TxnLogEntry>();
        int keep = CommittedLog.Capacity;
        var (tree, result) = SnapLog.Restore(NewTree, sessions, entry =>
        {
            if (replayed.Count == keep) replayed.Dequeue();
            replayed.Enqueue(entry);
        });
        Tree = tree;
        SessionsWithTimeouts.Clear();
        foreach (var (id, timeout) in sessions) SessionsWithTimeouts[id] = timeout;
        CommittedLog.Clear();
        foreach (var entry in replayed)
            CommittedLog.Add(entry.Header.Zxid, TxnLogEntry.Marshal(entry.Header, entry.Txn, entry.Digest));
        LastRestore = result;
        IsInitialized = true;
        SnapLog.TxnLog.SetLastLoggedZxid(Math.Max(result.Zxid, 0));
        LogLoaded(result.Zxid, result.SnapshotFile ?? "(none)", result.TxnsLoaded, Tree.TreeDigest);
        return result.Zxid;
    }

    /// <summary>
    /// Rolls the database back to <paramref name="zxid"/> for a learner told to TRUNC (Java's
    /// <c>ZKDatabase.truncateLog</c>): forgets the tree, sessions and committed log, cuts the txn log
    /// after <paramref name="zxid"/> and deletes newer snapshots (<see cref="FileTxnSnapLog.TruncateLog"/>),
    /// then restores, so <see cref="Tree"/> is a new tree whose last processed zxid is <paramref name="zxid"/>.
    /// Nothing may append or snapshot meanwhile (the learner does this before its processors start).
    /// </summary>
    /// <returns>
    /// False, logged, when that cannot be reached (Java's follower then exits): no snapshot at or before
    /// <paramref name="zxid"/>, a log that cannot be cut, or a log without the txn <paramref name="zxid"/>
    /// (everything after it is removed all the same, so the next sync starts from before it).
    /// </returns>
    /// <exception cref="IOException">The restore after truncating failed (as Java's <c>loadDataBase</c>).</exception>
    /// <exception cref="InvalidOperationException">A background snapshot is running.</exception>
    public bool TruncateLog(long zxid)
    {
        if (!_snapshotRunning.Wait(0))
            throw new InvalidOperationException("a background snapshot is running; it must finish before the log is truncated");
        try
        {
            Tree = NewTree();
            SessionsWithTimeouts.Clear();
            CommittedLog.Clear();
            IsInitialized = false;
            LastRestore = null;
            try
            {
                SnapLog.TruncateLog(zxid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogTruncateFailed(zxid, e);
                return false;
            }
            long restored = Restore();
            if (restored != zxid)
            {
                LogTruncateMissed(zxid, restored);
                return false;
            }
            return true;
        }
        finally
        {
            _snapshotRunning.Release();
        }
    }

    /// <summary>Java's <c>shouldSnapshot</c>, asked by the sync stage after each append.</summary>
    public bool ShouldSnapshot() => SnapshotTrigger.ShouldSnapshot(FileTxnLog.TxnCount, FileTxnLog.TotalLogSize);

    /// <summary>Ends the current log file and restarts the txn count (Java's <c>ZKDatabase.rollLog</c>).</summary>
    public void RollLog()
    {
        FileTxnLog.RollLog();
        FileTxnLog.ResetTxnStats();
    }

    /// <summary>
    /// What the sync stage does when <see cref="ShouldSnapshot"/> says so: new random thresholds, roll
    /// the log, and snapshot in the background unless a snapshot is still running ("too busy to
    /// snap"). Returns the snapshot task, or null when skipped.
    /// </summary>
    public Task? RollLogAndStartSnapshot(IReadOnlyDictionary<long, int>? sessions = null)
    {
        SnapshotTrigger.Reset();
        RollLog();
        if (!_snapshotRunning.Wait(0))
        {
            LogTooBusy();
            return null;
        }
        return Task.Run(() =>
        {
            try
            {
                TakeSnapshotCore(sessions ?? SessionsWithTimeouts, _options.ForceSync);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogSnapshotFailed(e);
                throw;
            }
            finally
            {
                _snapshotRunning.Release();
            }
        });
    }

    /// <summary>
    /// A fuzzy snapshot on a pool thread, named after the last processed zxid when it starts; the
    /// tree keeps changing meanwhile. Waits for a snapshot already running.
    /// </summary>
    public async Task<FileInfo> TakeSnapshotAsync(IReadOnlyDictionary<long, int>? sessions, CancellationToken ct)
    {
        await _snapshotRunning.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => TakeSnapshotCore(sessions ?? SessionsWithTimeouts, _options.ForceSync), ct).ConfigureAwait(false);
        }
        finally
        {
            _snapshotRunning.Release();
        }
    }

    /// <summary>
    /// A snapshot on the calling thread (startup, shutdown). Snapshots are fsync'd unless forceSync is
    /// off (Java does not sync them): purge deletes older files on the strength of newer ones.
    /// </summary>
    public FileInfo TakeSnapshot(bool fsync = true)
    {
        // Only called when no background snapshot can be running (startup, shutdown, tools):
        // a running one is a caller bug, not something to block a thread on.
        if (!_snapshotRunning.Wait(0))
            throw new InvalidOperationException("a background snapshot is running; use TakeSnapshotAsync");
        try
        {
            return TakeSnapshotCore(SessionsWithTimeouts, fsync);
        }
        finally
        {
            _snapshotRunning.Release();
        }
    }

    private FileInfo TakeSnapshotCore(IEnumerable<KeyValuePair<long, int>> sessions, bool fsync)
    {
        long start = _time.GetTimestamp();
        var file = SnapLog.Save(Tree, sessions, fsync);
        LogSnapshotTaken((long)_time.GetElapsedTime(start).TotalMilliseconds);
        return file;
    }

    /// <summary>
    /// Autopurge (Java's <c>DatadirCleanupManager</c>): purges now and then every
    /// <c>autopurge.purgeInterval</c> hours at a fixed rate, keeping <c>autopurge.snapRetainCount</c>
    /// snapshots. Returns at once when the interval is 0. Failures are logged, never thrown.
    /// </summary>
    public async Task RunAutopurgeAsync(CancellationToken ct)
    {
        LogAutopurgeSettings(_options.AutopurgeSnapRetainCount, _options.AutopurgePurgeInterval);
        if (_options.AutopurgePurgeInterval <= 0) return;
        var interval = TimeSpan.FromHours(_options.AutopurgePurgeInterval);
        long started = _time.GetTimestamp();
        for (long round = 1; ; round++)
        {
            try
            {
                PurgeTxnLog.Purge(_options.DataLogDir, _options.DataDir, _options.AutopurgeSnapRetainCount, _log);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                LogPurgeFailed(e);
            }
            AutopurgeRoundCompleted?.Invoke(round);
            var wait = (interval * round) - _time.GetElapsedTime(started);
            if (wait > TimeSpan.Zero) await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Raised after each autopurge round (1, 2, …), for tests.</summary>
    internal event Action<long>? AutopurgeRoundCompleted;

    /// <summary>
    /// Keeps the <paramref name="retainCount"/> newest snapshots and the logs needed to replay from the
    /// oldest of them (Java's <c>PurgeTxnLog.purge</c>).
    /// </summary>
    public static IReadOnlyList<FileInfo> Purge(string dataDir, string dataLogDir, int retainCount) =>
        PurgeTxnLog.Purge(dataLogDir, dataDir, retainCount);

    /// <summary>The quorum epochs in the snapshot directory, created or checked as a quorum peer starts.</summary>
    public (long CurrentEpoch, long AcceptedEpoch) LoadEpochs() => EpochFiles.LoadOrInitialize(SnapLog.SnapDir, Tree.LastProcessedZxid);

    public long? ReadEpoch(string name) => EpochFiles.Read(SnapLog.SnapDir, name);

    public void WriteEpoch(string name, long value) => EpochFiles.Write(SnapLog.SnapDir, name, value);

    private int _disposed;

    /// <summary>
    /// Closes the log once a background snapshot still running has finished: it must not write into a
    /// dataDir that someone else may already be restoring from (a restarted peer).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _snapshotRunning.WaitAsync().ConfigureAwait(false);
        SnapLog.Dispose();
        _snapshotRunning.Dispose();
    }

    /// <summary>As <see cref="DisposeAsync"/>, for tools and tests that have no async context.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _snapshotRunning.Wait();
        SnapLog.Dispose();
        _snapshotRunning.Dispose();
    }

    private DataTree NewTree() =>
        new(_options.ExtendedTypesEnabled, _options.Emulate353TtlNodes) { DigestEnabled = _options.TreeDigestEnabled };

    /// <summary>The persistence settings a server's options imply (system properties included).</summary>
    public static FileTxnSnapLogOptions SnapLogOptions(ServerOptions options) => new()
    {
        AutoCreateDirs = options.DataDirAutoCreate,
        AutoCreateDb = JavaParseBoolean(options.GetProperty("zookeeper.db.autocreate") ?? "true"),
        TrustEmptySnapshot = options.GetBooleanProperty("zookeeper.snapshot.trust.empty"),
        SnapshotCompression = SnapshotCompressions.Parse(options.GetProperty(SnapshotCompressions.PropertyName)),
        ReadOptions = new TxnLogEntry.ReadOptions(options.CloseSessionTxnEnabled, options.TreeDigestEnabled,
            new JuteLimits(options.JuteMaxBuffer, options.JuteMaxBufferExtra)),
        LogOptions = new FileTxnLogOptions
        {
            PreAllocSizeBytes = options.PreAllocSizeBytes,
            ForceSync = options.ForceSync,
            FsyncWarningThresholdMs = options.FsyncWarningThresholdMs,
            TxnLogSizeLimitBytes = options.GetInt64Property("zookeeper.txnLogSizeLimitInKb", -1) is > 0 and var kb ? kb * 1024 : -1,
        },
    };

    private static bool JavaParseBoolean(string value) => string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded database: highest zxid 0x{Zxid:x} from snapshot {Snapshot} and {Txns} txns, digest {Digest}")]
    private partial void LogLoaded(long zxid, string snapshot, int txns, long digest);

    [LoggerMessage(Level = LogLevel.Information, Message = "zookeeper.commitLogCount={Count}")]
    private partial void LogCommitLogCount(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The configured zookeeper.commitLogCount {Configured} is less than the recommended {Minimum}, going to use the recommended one")]
    private partial void LogCommitLogCountRaised(int configured, int minimum);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unable to truncate the txn log to 0x{Zxid:x}")]
    private partial void LogTruncateFailed(long zxid, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "Truncated the txn log to 0x{Zxid:x} but the database restored to 0x{Restored:x}: the log does not hold that txn")]
    private partial void LogTruncateMissed(long zxid, long restored);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too busy to snap, skipping")]
    private partial void LogTooBusy();

    [LoggerMessage(Level = LogLevel.Error, Message = "Severe unrecoverable error taking a snapshot")]
    private partial void LogSnapshotFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot taken in {ElapsedMs} ms")]
    private partial void LogSnapshotTaken(long elapsedMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "autopurge.snapRetainCount set to {Count}, autopurge.purgeInterval set to {Hours}")]
    private partial void LogAutopurgeSettings(int count, int hours);

    [LoggerMessage(Level = LogLevel.Error, Message = "Error occurred while purging.")]
    private partial void LogPurgeFailed(Exception e);
}
