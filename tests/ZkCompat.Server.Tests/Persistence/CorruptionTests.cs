using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

/// <summary>
/// Damage that is not a torn tail is refused, with the file and offset in the error, and nothing is
/// changed on disk: Java stops on a checksum mismatch too (its "CRC check failed").
/// </summary>
public sealed class CorruptionTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    public enum Spot { Checksum, Length, Body, EndMarker, FileMagic }

    /// <summary>Writes a database and returns the log file and the offsets of its records.</summary>
    private (string LogFile, List<long> Offsets, List<int> Lengths) WriteDatabase()
    {
        var options = Persist.Options(_dir.Path);
        using (var db = Persist.Open(options)) db.LoadDataBase();
        var script = TxnScript.EveryType();
        using (var db = Persist.Open(options))
        {
            db.Restore();
            Persist.WriteLog(db.FileTxnLog, script.Entries);
        }
        var offsets = new List<long>();
        using (var it = new TxnLogIterator(new DirectoryInfo(_dir.VersionDir), 1, TxnLogEntry.ReadOptions.Default))
        {
            while (it.Current is not null)
            {
                offsets.Add(it.CurrentOffset);
                if (!it.Next()) break;
            }
        }
        var lengths = script.Entries.Select(e => TxnLogEntry.Marshal(e.Header, e.Txn, e.Digest).Length).ToList();
        return (Path.Combine(_dir.VersionDir, "log.1"), offsets, lengths);
    }

    [TestCase(Spot.Checksum, 0.5, "CRC check failed")]
    [TestCase(Spot.Body, 0.5, "CRC check failed")]
    [TestCase(Spot.Body, 0.0, "CRC check failed")]
    [TestCase(Spot.Body, 1.0, "CRC check failed")]
    [TestCase(Spot.Length, 0.5, "Unreasonable length")]
    [TestCase(Spot.EndMarker, 0.5, "more data follows")]
    [TestCase(Spot.FileMagic, 0.0, "invalid magic")]
    public void DamageIsRefusedWithFileAndOffset(Spot spot, double where, string reason)
    {
        var (logFile, offsets, lengths) = WriteDatabase();
        int record = (int)Math.Round(where * (offsets.Count - 1));
        long start = offsets[record];
        long flipAt = spot switch
        {
            Spot.Checksum => start + 7,
            Spot.Length => start + 8,
            Spot.Body => start + 12 + (lengths[record] / 2),
            Spot.EndMarker => start + 12 + lengths[record],
            _ => 0,
        };
        byte[] bytes = File.ReadAllBytes(logFile);
        bytes[flipAt] ^= spot == Spot.Length ? (byte)0x40 : (byte)0x01;
        File.WriteAllBytes(logFile, bytes);
        var before = Snapshot(_dir.VersionDir);

        using var db = Persist.Open(Persist.Options(_dir.Path));
        var e = Assert.Throws<CorruptDataException>(() => db.LoadDataBase());
        Assert.Multiple(() =>
        {
            Assert.That(e!.FilePath, Is.EqualTo(logFile));
            Assert.That(e.Offset, Is.EqualTo(spot == Spot.FileMagic ? 0 : start));
            Assert.That(e.Message, Does.Contain(reason).And.Contain("log.1").And.Contain($"offset {e.Offset}"));
            Assert.That(Snapshot(_dir.VersionDir), Is.EqualTo(before), "nothing on disk changed");
        });
    }

    [Test]
    public void ZerosInTheMiddleFollowedByRecordsAreRefused()
    {
        var (logFile, offsets, lengths) = WriteDatabase();
        byte[] bytes = File.ReadAllBytes(logFile);
        int record = offsets.Count / 2;
        Array.Clear(bytes, (int)offsets[record], 13 + lengths[record]);
        File.WriteAllBytes(logFile, bytes);

        using var db = Persist.Open(Persist.Options(_dir.Path));
        var e = Assert.Throws<CorruptDataException>(() => db.LoadDataBase());
        Assert.That(e!.Offset, Is.EqualTo(offsets[record]));
    }

    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f)!, f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
