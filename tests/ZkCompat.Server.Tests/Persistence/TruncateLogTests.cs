using System.Buffers.Binary;
using ZkCompat.Server.Config;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

/// <summary>
/// A learner told to TRUNC rolls its database back to a zxid: the log is cut right after that txn,
/// later log files and newer snapshots go, and the reloaded tree ends exactly there. The history here
/// is 100 txns in files of 15 (log.1, .10, .1f, .2e, .33, .42, .51, .60) with snapshot.0 and snapshot.32
/// (after txn 50; txn 50 ends log.2e).
/// </summary>
public sealed class TruncateLogTests
{
    private TempDir _dir = null!;
    private ServerOptions _options = null!;
    private TxnScript _history = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir();
        _options = Persist.Options(_dir.Path);
        using (var db = Persist.Open(_options)) db.LoadDataBase();
        _history = new TxnScript();
        _history.RandomWorkload(new Random(11), 100);
        using (var db = Persist.Open(_options))
        {
            db.Restore();
            Persist.WriteLog(db.FileTxnLog, _history.Entries.Take(50), rollEvery: 15);
        }
        using (var db = Persist.Open(_options))
        {
            db.Restore();
            db.TakeSnapshot();
            Persist.WriteLog(db.FileTxnLog, _history.Entries.Skip(50), rollEvery: 15);
        }
        Assert.That(LogFiles(), Is.EqualTo(new[] { "log.1", "log.10", "log.1f", "log.2e", "log.33", "log.42", "log.51", "log.60" }));
        Assert.That(Snapshots(), Is.EqualTo(new[] { "snapshot.0", "snapshot.32" }));
    }

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase(73, new[] { "log.1", "log.10", "log.1f", "log.2e", "log.33", "log.42" }, new[] { "snapshot.0", "snapshot.32" }, TestName = "InsideAFile")]
    [TestCase(65, new[] { "log.1", "log.10", "log.1f", "log.2e", "log.33" }, new[] { "snapshot.0", "snapshot.32" }, TestName = "LastTxnOfAFile")]
    [TestCase(66, new[] { "log.1", "log.10", "log.1f", "log.2e", "log.33", "log.42" }, new[] { "snapshot.0", "snapshot.32" }, TestName = "FirstTxnOfAFile")]
    [TestCase(50, new[] { "log.1", "log.10", "log.1f", "log.2e" }, new[] { "snapshot.0", "snapshot.32" }, TestName = "AtTheSnapshot")]
    [TestCase(37, new[] { "log.1", "log.10", "log.1f" }, new[] { "snapshot.0" }, TestName = "BeforeTheSnapshot")]
    [TestCase(100, new[] { "log.1", "log.10", "log.1f", "log.2e", "log.33", "log.42", "log.51", "log.60" }, new[] { "snapshot.0", "snapshot.32" }, TestName = "AtTheLastTxn")]
    [TestCase(0, new string[0], new[] { "snapshot.0" }, TestName = "ToTheEmptyDatabase")]
    public void TruncatesReloadsAndAcceptsNewTxns(long zxid, string[] logsLeft, string[] snapshotsLeft)
    {
        using (var db = Persist.Open(_options))
        {
            db.Restore();
            Assert.That(db.Tree.LastProcessedZxid, Is.EqualTo(100));
            Assert.That(db.TruncateLog(zxid), Is.True);

            Assert.That(db.Tree.LastProcessedZxid, Is.EqualTo(zxid));
            Assert.That(db.IsInitialized, Is.True);
            Assert.That(DataDirDump.Format(db.Tree, db.Sessions, db.Tree.LastProcessedZxid), Is.EqualTo(ExpectedAt(zxid)));
            long snapshotZxid = zxid >= 50 ? 50 : 0;
            Assert.That(db.CommittedLog.Snapshot().Select(p => p.Zxid), Is.EqualTo(Range(snapshotZxid + 1, zxid)));
            Assert.That(db.CommittedLog.Snapshot().Select(p => p.Data), Is.EqualTo(_history.Entries.Where(e => e.Header.Zxid > snapshotZxid && e.Header.Zxid <= zxid)
                .Select(e => TxnLogEntry.Marshal(e.Header, e.Txn, e.Digest))));
        }

        Assert.That(LogFiles(), Is.EqualTo(logsLeft));
        Assert.That(Snapshots(), Is.EqualTo(snapshotsLeft));
        Assert.That(Persist.ReadLog(_dir.VersionDir).Select(e => e.Header.Zxid), Is.EqualTo(Range(1, zxid)));
        AssertWellFormedFiles(zxid);
        Assert.That(Persist.Dump(_options), Is.EqualTo(ExpectedAt(zxid)));

        // New history after the cut, then a restart: nothing of the old txns after zxid comes back.
        var next = ScriptAt(zxid);
        for (int i = 0; i < 10; i++)
        {
            if (i % 3 == 2) next.SetData("/after-" + (i - 1), [(byte)i]);
            else next.Create("/after-" + i, [(byte)i]);
        }
        using (var db = Persist.Open(_options))
        {
            db.Restore();
            Assert.That(db.Tree.LastProcessedZxid, Is.EqualTo(zxid));
            Persist.WriteLog(db.FileTxnLog, next.Entries, rollEvery: 4);
        }
        Assert.That(LogFiles(), Does.Contain(DataDirFiles.MakeLogName(zxid + 1)));
        using (var db = Persist.Open(_options))
        {
            Assert.That(db.Restore(), Is.EqualTo(zxid + 10));
            Assert.That(DataDirDump.Format(db.Tree, db.Sessions, db.Tree.LastProcessedZxid),
                Is.EqualTo(DataDirDump.Format(next.Tree, next.Sessions, zxid + 10)));
            Assert.That(db.CommittedLog.MaxZxid, Is.EqualTo(zxid + 10));
        }
        Assert.That(Persist.ReadLog(_dir.VersionDir).Select(e => e.Header.Zxid), Is.EqualTo(Range(1, zxid + 10)));
    }

    [Test]
    public void TruncatingTwiceAndAfterAppendsKeepsTheHistoryConsistent()
    {
        using var db = Persist.Open(_options);
        db.Restore();
        Assert.That(db.TruncateLog(80), Is.True);
        Assert.That(db.TruncateLog(44), Is.True);
        Assert.That(DataDirDump.Format(db.Tree, db.Sessions, 44), Is.EqualTo(ExpectedAt(44)));

        // The writer was reopened: appends go to a new file, and a later truncation cuts inside it.
        var next = ScriptAt(44);
        for (int i = 0; i < 6; i++) next.Create("/again-" + i, []);
        Persist.WriteLog(db.FileTxnLog, next.Entries);
        Assert.That(db.TruncateLog(47), Is.True);
        Assert.That(LogFiles(), Is.EqualTo(new[] { "log.1", "log.10", "log.1f", "log.2d" }));
        var expected = ScriptAt(44);
        foreach (var e in next.Entries.Take(3)) FileTxnSnapLog.ProcessTransaction(expected.Tree, expected.Sessions, e);
        Assert.That(DataDirDump.Format(db.Tree, db.Sessions, 47), Is.EqualTo(DataDirDump.Format(expected.Tree, expected.Sessions, 47)));
        Assert.That(db.CommittedLog.Snapshot().Select(p => p.Zxid), Is.EqualTo(Range(1, 47)));
    }

    [Test]
    public void WithoutASnapshotAtOrBeforeTheZxidNothingIsChanged()
    {
        File.Delete(Path.Combine(_dir.VersionDir, "snapshot.0"));
        var before = Listing();
        using var db = Persist.Open(_options);
        db.Restore();
        Assert.That(db.TruncateLog(37), Is.False);
        Assert.That(Listing(), Is.EqualTo(before));
        Assert.That(db.IsInitialized, Is.False);
        Assert.That(db.CommittedLog.Count, Is.Zero);
    }

    [Test]
    public void APointBeyondTheLogFailsAndKeepsEveryTxn()
    {
        using var db = Persist.Open(_options);
        db.Restore();
        Assert.That(db.TruncateLog(150), Is.False);
        Assert.That(Persist.ReadLog(_dir.VersionDir).Select(e => e.Header.Zxid), Is.EqualTo(Range(1, 100)));
        Assert.That(Snapshots(), Is.EqualTo(new[] { "snapshot.0", "snapshot.32" }));
        Assert.That(db.Tree.LastProcessedZxid, Is.EqualTo(100));
    }

    [Test]
    public void AZxidTheLogDoesNotHoldFailsButRemovesEverythingAfterIt()
    {
        // A new epoch after txn 100: the learner never saw 0x65..0x100000000.
        var epoch1 = ScriptAt(100, startZxid: 1L << 32);
        for (int i = 0; i < 5; i++) epoch1.Create("/epoch1-" + i, []);
        using (var db = Persist.Open(_options))
        {
            db.Restore();
            Persist.WriteLog(db.FileTxnLog, epoch1.Entries);
        }
        using (var db = Persist.Open(_options))
        {
            Assert.That(db.Restore(), Is.EqualTo((1L << 32) + 5));
            Assert.That(db.TruncateLog(0x80), Is.False);
            // Unlike Java, the first txn after the point is not kept.
            Assert.That(db.Tree.LastProcessedZxid, Is.EqualTo(100));
        }
        Assert.That(Persist.ReadLog(_dir.VersionDir).Select(e => e.Header.Zxid), Is.EqualTo(Range(1, 100)));
        Assert.That(LogFiles(), Does.Not.Contain(DataDirFiles.MakeLogName((1L << 32) + 1)));
    }

    [Test]
    public void UncommittedAppendsAreWrittenBeforeTheCut()
    {
        var next = ScriptAt(100);
        for (int i = 0; i < 4; i++) next.Create("/pending-" + i, []);
        using var db = Persist.Open(_options);
        db.Restore();
        foreach (var e in next.Entries) db.FileTxnLog.Append(e.Header, e.Txn, e.Digest);
        Assert.That(db.TruncateLog(102), Is.True);
        var expected = ScriptAt(100);
        foreach (var e in next.Entries.Take(2)) FileTxnSnapLog.ProcessTransaction(expected.Tree, expected.Sessions, e);
        Assert.That(DataDirDump.Format(db.Tree, db.Sessions, 102), Is.EqualTo(DataDirDump.Format(expected.Tree, expected.Sessions, 102)));
        Assert.That(db.FileTxnLog.TxnCount, Is.Zero);
    }

    /// <summary>Each file starts with Java's header and reads back whole; the cut file ends at its last record.</summary>
    private void AssertWellFormedFiles(long zxid)
    {
        foreach (var name in LogFiles())
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(_dir.VersionDir, name));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes), Is.EqualTo(FileTxnLog.Magic), name);
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)), Is.EqualTo(FileTxnLog.Version), name);
        }
        if (zxid == 0) return;
        using var it = new TxnLogIterator(new DirectoryInfo(_dir.VersionDir), zxid, TxnLogEntry.ReadOptions.Default);
        Assert.That(it.Current!.Header.Zxid, Is.EqualTo(zxid));
        Assert.That(new FileInfo(it.CurrentFile!).Length, Is.EqualTo(it.CurrentEndOffset));
        Assert.That(File.ReadAllBytes(it.CurrentFile!)[^1], Is.EqualTo(FileTxnLog.EndOfRecord));
        Assert.That(it.Next(), Is.False);
        Assert.That(it.TornTails, Is.Empty);
    }

    private string ExpectedAt(long zxid)
    {
        var replay = ScriptAt(zxid);
        return DataDirDump.Format(replay.Tree, replay.Sessions, zxid);
    }

    /// <summary>A script whose tree holds the history up to <paramref name="zxid"/>, continuing from <paramref name="startZxid"/>.</summary>
    private TxnScript ScriptAt(long zxid, long? startZxid = null)
    {
        var script = new TxnScript(startZxid ?? zxid);
        foreach (var e in _history.Entries.Where(e => e.Header.Zxid <= zxid))
            FileTxnSnapLog.ProcessTransaction(script.Tree, script.Sessions, e);
        script.Tree.LastProcessedZxid = zxid;
        return script;
    }

    private static IEnumerable<long> Range(long first, long last)
    {
        for (long z = first; z <= last; z++) yield return z;
    }

    private string[] LogFiles() => Names(DataDirFiles.LogPrefix);

    private string[] Snapshots() => Names(DataDirFiles.SnapshotPrefix);

    private string[] Names(string prefix) =>
        DataDirFiles.SortByZxid(new DirectoryInfo(_dir.VersionDir), prefix, ascending: true)
            .Where(f => f.Name.StartsWith(prefix + ".", StringComparison.Ordinal))
            .Select(f => f.Name).ToArray();

    private string[] Listing() =>
        new DirectoryInfo(_dir.VersionDir).GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name} {f.Length} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f.FullName)))}").ToArray();
}
