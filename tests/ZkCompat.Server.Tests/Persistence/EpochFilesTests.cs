using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class EpochFilesTests
{
    private TempDir _dir = null!;
    private DirectoryInfo Dir => new(_dir.Path);

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase(0L, "0")]
    [TestCase(2L, "2")]
    [TestCase(4294967296L, "4294967296")]
    public void WrittenAsDecimalWithoutNewline(long value, string text)
    {
        EpochFiles.Write(Dir, EpochFiles.AcceptedEpoch, value);
        Assert.That(File.ReadAllText(Path.Combine(_dir.Path, "acceptedEpoch")), Is.EqualTo(text));
        Assert.That(File.Exists(Path.Combine(_dir.Path, "acceptedEpoch.tmp")), Is.False);
        Assert.That(EpochFiles.Read(Dir, EpochFiles.AcceptedEpoch), Is.EqualTo(value));
    }

    [TestCase("7\n", 7L)]
    [TestCase("-1", -1L)]
    public void ReadsTheFirstLine(string content, long value)
    {
        File.WriteAllText(Path.Combine(_dir.Path, "currentEpoch"), content);
        Assert.That(EpochFiles.Read(Dir, EpochFiles.CurrentEpoch), Is.EqualTo(value));
    }

    [TestCase("")]
    [TestCase("x")]
    [TestCase(" 3")]
    public void GarbageIsAnError(string content)
    {
        File.WriteAllText(Path.Combine(_dir.Path, "currentEpoch"), content);
        var e = Assert.Throws<IOException>(() => EpochFiles.Read(Dir, EpochFiles.CurrentEpoch));
        Assert.That(e!.Message, Does.StartWith("Found "));
    }

    [Test]
    public void MissingIsNull() => Assert.That(EpochFiles.Read(Dir, EpochFiles.CurrentEpoch), Is.Null);

    // current, accepted, tmp ("" = absent), last zxid → expected current/accepted, or an error.
    [TestCase("", "", "", 0x300000005L, 3L, 3L, false, TestName = "MissingFilesTakeTheEpochOfTheLastZxid")]
    [TestCase("3", "4", "", 0x300000005L, 3L, 4L, false, TestName = "ConsistentFilesAreKept")]
    [TestCase("2", "4", "", 0x300000005L, 0L, 0L, true, TestName = "CurrentBehindTheDataIsRefused")]
    [TestCase("2", "4", "3", 0x300000005L, 3L, 4L, false, TestName = "CurrentRepairedFromItsTmpFile")]
    [TestCase("4", "3", "", 0x300000005L, 0L, 0L, true, TestName = "AcceptedBelowCurrentIsRefused")]
    public void StartupCheck(string current, string accepted, string tmp, long lastZxid, long expectCurrent, long expectAccepted, bool fails)
    {
        if (current != "") File.WriteAllText(Path.Combine(_dir.Path, "currentEpoch"), current);
        if (accepted != "") File.WriteAllText(Path.Combine(_dir.Path, "acceptedEpoch"), accepted);
        if (tmp != "") File.WriteAllText(Path.Combine(_dir.Path, "currentEpoch.tmp"), tmp);

        if (fails)
        {
            Assert.Throws<IOException>(() => EpochFiles.LoadOrInitialize(Dir, lastZxid));
            return;
        }
        Assert.That(EpochFiles.LoadOrInitialize(Dir, lastZxid), Is.EqualTo((expectCurrent, expectAccepted)));
        Assert.That(EpochFiles.Read(Dir, EpochFiles.CurrentEpoch), Is.EqualTo(expectCurrent));
        Assert.That(EpochFiles.Read(Dir, EpochFiles.AcceptedEpoch), Is.EqualTo(expectAccepted));
    }
}
