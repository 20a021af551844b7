using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

/// <summary>
/// A crash can leave the last record of the log partly written: cut short, or followed by the
/// preallocated zeros. Recovery must give back exactly the records before it, and remove the rest.
/// </summary>
public sealed class CrashRecoveryTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    /// <summary>A database of every txn type plus one last create, and where that last record lies.</summary>
    private (TxnScript Script, string LogFile, long LastStart, long LastEnd, long FileLength) WriteDatabase()
    {
        var options = Persist.Options(_dir.Path);
        using (var db = Persist.Open(options)) db.LoadDataBase();
        var script = TxnScript.EveryType();
        script.Create("/last", "the record that gets torn"u8.ToArray());
        using (var db = Persist.Open(options))
        {
            db.Restore();
            Persist.WriteLog(db.FileTxnLog, script.Entries);
        }
        string logFile = Path.Combine(_dir.VersionDir, "log.1");
        long lastStart = 0;
        using (var it = new TxnLogIterator(new DirectoryInfo(_dir.VersionDir), 1, TxnLogEntry.ReadOptions.Default))
        {
            while (it.Current is not null)
            {
                lastStart = it.CurrentOffset;
                if (!it.Next()) break;
            }
        }
        var last = script.Entries[^1];
        long lastEnd = lastStart + 13 + TxnLogEntry.Marshal(last.Header, last.Txn, last.Digest).Length;
        return (script, logFile, lastStart, lastEnd, new FileInfo(logFile).Length);
    }

    private static string ExpectedDumpWithout(TxnScript script, int dropLast)
    {
        var replay = new TxnScript();
        foreach (var e in script.Entries.Take(script.Entries.Count - dropLast))
            FileTxnSnapLog.ProcessTransaction(replay.Tree, replay.Sessions, e);
        return DataDirDump.Format(replay.Tree, replay.Sessions, script.Entries[^(dropLast + 1)].Header.Zxid);
    }

    [TestCase(false, TestName = "CutAtEveryOffsetOfTheLastRecord_FileEndsThere")]
    [TestCase(true, TestName = "CutAtEveryOffsetOfTheLastRecord_ZeroFilledToPreallocatedSize")]
    public void CutAtEveryOffsetOfTheLastRecord(bool zeroFill)
    {
        var (script, logFile, lastStart, lastEnd, fileLength) = WriteDatabase();
        byte[] original = File.ReadAllBytes(logFile);
        string expectedWithout = ExpectedDumpWithout(script, dropLast: 1);
        string expectedAll = ExpectedDumpWithout(script, dropLast: 0);
        var options = Persist.Options(_dir.Path);

        for (long cut = lastStart; cut <= lastEnd; cut++)
        {
            byte[] damaged = new byte[zeroFill ? fileLength : cut];
            Array.Copy(original, damaged, cut);
            File.WriteAllBytes(logFile, damaged);

            string dump = "";
            Assert.DoesNotThrow(() => dump = Persist.Dump(options), $"cut at {cut}");
            Assert.That(dump, Is.EqualTo(cut == lastEnd ? expectedAll : expectedWithout), $"cut at {cut}");
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public void LoadDataBaseTruncatesATornTailAndLaterAppendsReadBack(bool zeroFill)
    {
        var (script, logFile, lastStart, _, fileLength) = WriteDatabase();
        long cut = lastStart + 20;
        byte[] original = File.ReadAllBytes(logFile);
        byte[] damaged = new byte[zeroFill ? fileLength : cut];
        Array.Copy(original, damaged, cut);
        File.WriteAllBytes(logFile, damaged);
        var options = Persist.Options(_dir.Path);

        long zxid;
        using (var db = Persist.Open(options))
        {
            zxid = db.LoadDataBase();
            Assert.That(db.LastRestore!.TornTails, Has.Count.EqualTo(1));
            Assert.That(new FileInfo(logFile).Length, Is.EqualTo(lastStart), "the partial record is cut off");

            // The server goes on from the last whole record; its zxid is reused.
            var more = new TxnScript(zxid);
            more.Create("/after-crash");
            Persist.WriteLog(db.FileTxnLog, more.Entries);
        }

        Assert.That(zxid, Is.EqualTo(script.Entries[^2].Header.Zxid));
        string dump = Persist.Dump(options);
        Assert.That(dump, Does.Contain("/after-crash ").And.Not.Contain("/last "));
        using var check = Persist.Open(options);
        check.Restore();
        Assert.That(check.LastRestore!.TornTails, Is.Empty);
    }

    [Test]
    public void EmptyLogFileLeftByACrashIsRemoved()
    {
        var (script, _, _, _, _) = WriteDatabase();
        long next = script.LastZxid + 1;
        string empty = Path.Combine(_dir.VersionDir, DataDirFiles.MakeLogName(next));
        File.WriteAllBytes(empty, new byte[7]);
        var options = Persist.Options(_dir.Path);

        using var db = Persist.Open(options);
        Assert.That(db.LoadDataBase(), Is.EqualTo(script.LastZxid));
        Assert.That(File.Exists(empty), Is.False);
    }
}
