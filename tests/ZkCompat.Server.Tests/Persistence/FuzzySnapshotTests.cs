using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

/// <summary>
/// A snapshot is taken while txns keep being applied, so it may hold changes newer than its name
/// says. Loading it and replaying the log from its zxid must give the very tree a full replay gives.
/// </summary>
public sealed class FuzzySnapshotTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    /// <summary>The same logs replayed from an empty tree, with no snapshot but snapshot.0.</summary>
    private string FullReplay(string logDir)
    {
        string replayDir = Path.Combine(_dir.Path, "full-replay");
        var options = Persist.Options(replayDir);
        using (var db = Persist.Open(options)) db.LoadDataBase();
        foreach (var f in Directory.GetFiles(logDir, "log.*"))
            File.Copy(f, Path.Combine(replayDir, DataDirFiles.VersionDirectory, Path.GetFileName(f)));
        return Persist.Dump(options);
    }

    // The snapshot is named after zxid `named` but holds the tree as of `named + ahead`: the state a
    // snapshot sees when txns are applied while it is written.
    [TestCase(40, 0)]
    [TestCase(40, 1)]
    [TestCase(40, 25)]
    [TestCase(150, 60)]
    [TestCase(299, 100)]
    public void SnapshotAheadOfItsNameReplaysToTheSameTree(int named, int ahead)
    {
        string dataDir = _dir.Sub("data");
        var options = Persist.Options(dataDir);
        var script = TxnScript.EveryType();
        script.RandomWorkload(new Random(named * 31 + ahead), 400);
        int total = script.Entries.Count;
        long snapZxid = script.Entries[named - 1].Header.Zxid;

        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            for (int i = 0; i < named + ahead; i++) SnapshotTests.Apply(db, script.Entries[i]);
            db.TxnLog.Commit();
            db.RollLog();
            string name = Path.Combine(db.SnapLog.SnapDir.FullName, DataDirFiles.MakeSnapshotName(snapZxid, SnapshotCompression.None));
            SnapshotFile.Write(name, db.Tree, db.SessionsWithTimeouts, SnapshotCompression.None, fsync: false);
            for (int i = named + ahead; i < total; i++) SnapshotTests.Apply(db, script.Entries[i]);
            db.TxnLog.Commit();
        }
        File.Delete(Path.Combine(dataDir, DataDirFiles.VersionDirectory, "snapshot.0"));

        string fromSnapshot;
        using (var db = Persist.Open(options))
        {
            db.Restore();
            Assert.That(db.LastRestore!.SnapshotFile, Does.EndWith(DataDirFiles.MakeSnapshotName(snapZxid, SnapshotCompression.None)));
            Assert.That(db.Tree.DigestMismatchCount, Is.Zero, "the snapshot's digest is met when replay reaches its zxid");
            fromSnapshot = DataDirDump.Format(db.Tree, db.Sessions, db.Tree.LastProcessedZxid);
        }
        Assert.That(fromSnapshot, Is.EqualTo(FullReplay(Path.Combine(dataDir, DataDirFiles.VersionDirectory))));
        Assert.That(fromSnapshot, Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, script.LastZxid)));
    }

    [Test]
    public async Task SnapshotTakenWhileTxnsAreAppliedReplaysToTheSameTree()
    {
        string dataDir = _dir.Sub("data");
        var options = Persist.Options(dataDir);
        var script = new TxnScript();
        for (int i = 0; i < 3000; i++) script.Create("/base" + i, new byte[100]);
        script.RandomWorkload(new Random(11), 4000);

        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            for (int i = 0; i < 3000; i++) SnapshotTests.Apply(db, script.Entries[i]);
            db.TxnLog.Commit();

            // The sync stage's sequence: roll, snapshot in the background, keep applying.
            db.RollLog();
            var snapshot = db.TakeSnapshotAsync(null, CancellationToken.None);
            for (int i = 3000; i < script.Entries.Count; i++)
            {
                SnapshotTests.Apply(db, script.Entries[i]);
                if (i % 50 == 0) db.TxnLog.Commit();
            }
            db.TxnLog.Commit();
            await snapshot;
        }
        File.Delete(Path.Combine(dataDir, DataDirFiles.VersionDirectory, "snapshot.0"));

        using (var db = Persist.Open(options))
        {
            db.Restore();
            Assert.That(db.LastRestore!.SnapshotFile, Does.Not.EndWith("snapshot.0"));
            string fromSnapshot = DataDirDump.Format(db.Tree, db.Sessions, db.Tree.LastProcessedZxid);
            Assert.That(fromSnapshot, Is.EqualTo(FullReplay(Path.Combine(dataDir, DataDirFiles.VersionDirectory))));
            Assert.That(fromSnapshot, Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, script.LastZxid)));
        }
    }
}
