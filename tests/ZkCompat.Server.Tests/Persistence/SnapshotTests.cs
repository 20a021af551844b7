using System.Buffers.Binary;
using ZkCompat.Jute;
using ZkCompat.Server.Data;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class SnapshotTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string SnapshotPath(long zxid, SnapshotCompression mode)
    {
        Directory.CreateDirectory(_dir.VersionDir);
        return Path.Combine(_dir.VersionDir, DataDirFiles.MakeSnapshotName(zxid, mode));
    }

    [TestCase(SnapshotCompression.None, "snapshot.18")]
    [TestCase(SnapshotCompression.Gzip, "snapshot.18.gz")]
    [TestCase(SnapshotCompression.Snappy, "snapshot.18.snappy")]
    public void RoundTripKeepsEveryNodeSessionAndDigest(SnapshotCompression mode, string name)
    {
        var script = TxnScript.EveryType();
        script.RandomWorkload(new Random(1), 200);
        string path = SnapshotPath(0x18, mode);
        Assert.That(Path.GetFileName(path), Is.EqualTo(name));
        SnapshotFile.Write(path, script.Tree, script.Sessions, mode, fsync: true);

        var file = new FileInfo(path);
        Assert.That(SnapshotFile.IsValid(file), Is.True);
        var tree = new DataTree(extendedTypesEnabled: true);
        var sessions = new Dictionary<long, int>();
        long zxid = SnapshotFile.Read(file, tree, sessions, JuteLimits.Default);

        Assert.That(zxid, Is.EqualTo(0x18));
        Assert.That(DataDirDump.Format(tree, sessions, 0), Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, 0)));
        Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()));
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(0x18));
    }

    [Test]
    public void LayoutMatchesJava()
    {
        var script = TxnScript.EveryType();
        string path = SnapshotPath(script.LastZxid, SnapshotCompression.None);
        SnapshotFile.Write(path, script.Tree, script.Sessions, SnapshotCompression.None, fsync: false);
        byte[] file = File.ReadAllBytes(path);

        Assert.That(Convert.ToHexString(file, 0, 16), Is.EqualTo("5A4B534E" + "00000002" + "FFFFFFFFFFFFFFFF"));
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(16)), Is.EqualTo(script.Sessions.Count));
        // The tail: ZxidDigest{zxid, 2, digest}, then the cumulative Adler-32 seal and "/".
        int sealAt = file.Length - 13;
        int digestAt = sealAt - 20;
        var expected = script.Tree.LastProcessedZxidDigest!;
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(digestAt)), Is.EqualTo(expected.Zxid));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(digestAt + 8)), Is.EqualTo(2));
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(digestAt + 12)), Is.EqualTo(script.Tree.TreeDigest));
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(sealAt)), Is.EqualTo(Adler32.Compute(file.AsSpan(0, sealAt))));
            Assert.That(Convert.ToHexString(file, file.Length - 5, 5), Is.EqualTo("000000012F"));
            // The first seal covers everything before it.
            int firstSeal = digestAt - 13;
            Assert.That(BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(firstSeal)), Is.EqualTo(Adler32.Compute(file.AsSpan(0, firstSeal))));
            Assert.That(Convert.ToHexString(file, firstSeal - 5, 5), Is.EqualTo("000000012F"), "nodes end with \"/\"");
        });
    }

    [Test]
    public void WithoutDigestsTheFileEndsAtTheFirstSealAndStillLoads()
    {
        var script = TxnScript.EveryType();
        script.Tree.DigestEnabled = false;
        string path = SnapshotPath(script.LastZxid, SnapshotCompression.None);
        SnapshotFile.Write(path, script.Tree, script.Sessions, SnapshotCompression.None, fsync: false);
        byte[] file = File.ReadAllBytes(path);
        Assert.That(BinaryPrimitives.ReadInt64BigEndian(file.AsSpan(file.Length - 13)), Is.EqualTo(Adler32.Compute(file.AsSpan(0, file.Length - 13))));

        var tree = new DataTree(extendedTypesEnabled: true);
        SnapshotFile.Read(new FileInfo(path), tree, new Dictionary<long, int>(), JuteLimits.Default);
        Assert.That(tree.DigestFromLoadedSnapshot, Is.Null);
        Assert.That(DataDirDump.Format(tree, script.Sessions, 0).Replace("digest " + tree.TreeDigest, ""),
            Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, 0).Replace("digest 0", "")));
    }

    public enum Damage { FlipInTheMiddle, FlipInTheSeal, CutInHalf, BadMagic, Empty }

    [TestCase(Damage.FlipInTheMiddle, "")]
    [TestCase(Damage.FlipInTheSeal, "")]
    [TestCase(Damage.CutInHalf, "")]
    [TestCase(Damage.BadMagic, "")]
    [TestCase(Damage.Empty, "")]
    [TestCase(Damage.FlipInTheMiddle, "gz")]
    [TestCase(Damage.CutInHalf, "gz")]
    [TestCase(Damage.FlipInTheSeal, "gz")]
    [TestCase(Damage.FlipInTheMiddle, "snappy")]
    [TestCase(Damage.CutInHalf, "snappy")]
    [TestCase(Damage.FlipInTheSeal, "snappy")]
    public void CorruptNewestSnapshotFallsBackToThePreviousOne(Damage damage, string compression)
    {
        var options = Persist.Options(_dir.Path, properties: new() { [SnapshotCompressions.PropertyName] = compression });
        var script = new TxnScript();
        script.RandomWorkload(new Random(5), 300);
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            int half = script.Entries.Count / 2;
            foreach (var e in script.Entries.Take(half)) Apply(db, e);
            db.TxnLog.Commit();
            db.RollLog();
            db.TakeSnapshot();
            foreach (var e in script.Entries.Skip(half)) Apply(db, e);
            db.TxnLog.Commit();
        }
        string newest = DataDirFiles.SortByZxid(new DirectoryInfo(_dir.VersionDir), DataDirFiles.SnapshotPrefix, ascending: false)[0].FullName;
        Assert.That(Path.GetFileName(newest), Does.Not.StartWith("snapshot.0"));
        Spoil(newest, damage);

        using var restarted = Persist.Open(options);
        long zxid = restarted.LoadDataBase();
        Assert.That(zxid, Is.EqualTo(script.LastZxid));
        Assert.That(restarted.LastRestore!.SnapshotFile, Does.EndWith("snapshot.0" + (compression == "" ? "" : "." + compression)));
        Assert.That(DataDirDump.Format(restarted.Tree, restarted.Sessions, zxid), Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, zxid)));
    }

    [Test]
    public void NoValidSnapshotLeftIsRefusedNamingTheFileAndOffset()
    {
        var options = Persist.Options(_dir.Path);
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            var script = TxnScript.EveryType();
            foreach (var entry in script.Entries) Apply(db, entry);
            db.TxnLog.Commit();
        }
        string snapshot = Path.Combine(_dir.VersionDir, "snapshot.0");
        Spoil(snapshot, Damage.FlipInTheMiddle);

        using var restarted = Persist.Open(options);
        var e = Assert.Throws<IOException>(() => restarted.LoadDataBase());
        Assert.That(e!.Message, Does.Contain("Not able to find valid snapshots").And.Contain(snapshot).And.Contain("offset"));
    }

    [Test]
    public void LogsWithoutAnySnapshotAreRefused()
    {
        var options = Persist.Options(_dir.Path);
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            Persist.WriteLog(db.FileTxnLog, TxnScript.EveryType().Entries);
        }
        File.Delete(Path.Combine(_dir.VersionDir, "snapshot.0"));

        using var restarted = Persist.Open(options);
        var e = Assert.Throws<IOException>(() => restarted.LoadDataBase());
        Assert.That(e!.Message, Does.Contain("No snapshot found, but there are log entries"));
    }

    [Test]
    public void EmptyDirectoryGetsSnapshotZeroAndEachStartAFreshSnapshot()
    {
        var options = Persist.Options(_dir.Path);
        var script = TxnScript.EveryType();
        using (var db = Persist.Open(options))
        {
            Assert.That(db.LoadDataBase(), Is.EqualTo(0));
            Assert.That(Directory.GetFiles(_dir.VersionDir).Select(Path.GetFileName), Is.EqualTo(new[] { "snapshot.0" }));
            foreach (var e in script.Entries) Apply(db, e);
            db.TxnLog.Commit();
        }
        using (var db = Persist.Open(options))
        {
            Assert.That(db.LoadDataBase(), Is.EqualTo(script.LastZxid));
        }
        Assert.That(File.Exists(Path.Combine(_dir.VersionDir, DataDirFiles.MakeSnapshotName(script.LastZxid, SnapshotCompression.None))), Is.True);
    }

    [Test]
    public void SessionsAndEphemeralsSurviveARestartAndDeadSessionsLoseTheirEphemerals()
    {
        var options = Persist.Options(_dir.Path);
        var script = new TxnScript();
        script.CreateSession(0x51, 7000);
        script.CreateSession(0x52, 9000);
        script.Create("/e1", [1], ephemeralSession: 0x51);
        script.Create("/e2", [2], ephemeralSession: 0x52);
        script.CloseSession(0x52);
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            foreach (var e in script.Entries) Apply(db, e);
            db.TxnLog.Commit();
        }

        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            Assert.That(db.Sessions, Is.EquivalentTo(new Dictionary<long, int> { [0x51] = 7000 }));
            Assert.That(db.Tree.GetNode("/e1"), Is.Not.Null);
            Assert.That(db.Tree.GetNode("/e2"), Is.Null);
            Assert.That(db.Tree.GetEphemerals(0x51), Is.EqualTo(new[] { "/e1" }));

            // A snapshot whose session table lacks 0x51 (its ephemeral lingers): startup deletes it.
            db.SessionsWithTimeouts.Clear();
            db.TakeSnapshot();
        }
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            Assert.That(db.Tree.GetNode("/e1"), Is.Null);
        }
    }

    [TestCase("gz", "snapshot.0.gz")]
    [TestCase("GZ", "snapshot.0.gz")]
    [TestCase("snappy", "snapshot.0.snappy")]
    [TestCase("lz4", "snapshot.0")]
    public void CompressionMethodPropertyChoosesTheFormat(string method, string name)
    {
        var options = Persist.Options(_dir.Path, properties: new() { [SnapshotCompressions.PropertyName] = method });
        using (var db = Persist.Open(options)) db.LoadDataBase();
        Assert.That(Directory.GetFiles(_dir.VersionDir).Select(Path.GetFileName), Is.EqualTo(new[] { name }));

        // Any mode reads any file: the extension decides.
        using var plain = Persist.Open(Persist.Options(_dir.Path));
        Assert.That(plain.LoadDataBase(), Is.EqualTo(0));
    }

    [Test]
    public void HalfWrittenSnapshotIsNeitherLoadedNorKept()
    {
        var options = Persist.Options(_dir.Path);
        using (var db = Persist.Open(options)) db.LoadDataBase();
        string temp = SnapshotFile.TempPath(Path.Combine(_dir.VersionDir, "snapshot.7"));
        File.WriteAllBytes(temp, [0, 0, 0, 1, (byte)'/', 0, 0, 0, 1, (byte)'/']);

        using var db2 = Persist.Open(options);
        Assert.That(db2.LoadDataBase(), Is.Zero);
        Assert.That(db2.LastRestore!.SnapshotFile, Does.EndWith("snapshot.0"));
        Assert.That(Directory.GetFiles(_dir.VersionDir).Select(Path.GetFileName), Is.EqualTo(new[] { "snapshot.0" }));
    }

    [TestCase("snapshot.1a", ExpectedResult = 0x1a)]
    [TestCase("snapshot.100000002.gz", ExpectedResult = 0x100000002)]
    [TestCase("snapshot.x", ExpectedResult = -1)]
    [TestCase("snap.1", ExpectedResult = -1)]
    [TestCase("snapshot", ExpectedResult = -1)]
    public long ZxidFromName(string name) => DataDirFiles.GetZxidFromName(name, DataDirFiles.SnapshotPrefix);

    internal static void Apply(ZkDatabase db, TxnLogEntry e)
    {
        FileTxnSnapLog.ProcessTransaction(db.Tree, db.SessionsWithTimeouts, e);
        db.TxnLog.Append(e.Header, e.Txn, e.Digest);
    }

    private static void Spoil(string path, Damage damage)
    {
        byte[] bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case Damage.FlipInTheMiddle:
                bytes[bytes.Length / 2] ^= 0x10;
                break;
            case Damage.FlipInTheSeal:
                bytes[^10] ^= 0x01;
                break;
            case Damage.CutInHalf:
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case Damage.BadMagic:
                bytes[0] ^= 0xFF;
                break;
            case Damage.Empty:
                bytes = [];
                break;
        }
        File.WriteAllBytes(path, bytes);
    }
}
