using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class PurgeTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    // A file passing Java's quick snapshot check: at least 10 bytes, ending in the "/" seal.
    private static void FakeSnapshot(string dir, string name, bool valid = true)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), valid ? [1, 2, 3, 4, 5, 6, 0, 0, 0, 1, (byte)'/'] : [1, 2, 3]);
    }

    private static void FakeLog(string dir, string name)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, name), [0x5A, 0x4B, 0x4C, 0x47]);
    }

    private static string[] Names(string dir) =>
        Directory.Exists(dir) ? Directory.GetFiles(dir).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray() : [];

    [TestCase(3, "snapshot.0 snapshot.10 snapshot.20 snapshot.30 snapshot.40", "log.1 log.11 log.1a log.21 log.35 log.41",
        "snapshot.20 snapshot.30 snapshot.40", "log.1a log.21 log.35 log.41", TestName = "KeepsThreeNewestAndTheLogsTheOldestNeeds")]
    [TestCase(4, "snapshot.0 snapshot.10 snapshot.20 snapshot.30 snapshot.40", "log.1 log.11 log.1a log.21 log.35 log.41",
        "snapshot.10 snapshot.20 snapshot.30 snapshot.40", "log.1 log.11 log.1a log.21 log.35 log.41", TestName = "KeepsFour")]
    [TestCase(3, "snapshot.10 snapshot.20.gz snapshot.30", "log.5 log.20 log.31",
        "snapshot.10 snapshot.20.gz snapshot.30", "log.5 log.20 log.31", TestName = "NothingToDoWithThreeSnapshots")]
    [TestCase(3, "snapshot.10 snapshot.20 snapshot.30 snapshot.40", "log.20 log.25",
        "snapshot.20 snapshot.30 snapshot.40", "log.20 log.25", TestName = "KeepsTheLogStartingAtTheOldestKeptSnapshot")]
    [TestCase(3, "snapshot.10 snapshot.20 snapshot.30 snapshot.40", "",
        "snapshot.20 snapshot.30 snapshot.40", "", TestName = "NoLogs")]
    public void KeepsTheNewestSnapshotsAndTheLogsToReplayThem(int count, string snapshots, string logs, string keptSnapshots, string keptLogs)
    {
        string snapDir = Path.Combine(_dir.Path, "data", DataDirFiles.VersionDirectory);
        string logDir = Path.Combine(_dir.Path, "datalog", DataDirFiles.VersionDirectory);
        foreach (string s in snapshots.Split(' ', StringSplitOptions.RemoveEmptyEntries)) FakeSnapshot(snapDir, s);
        foreach (string l in logs.Split(' ', StringSplitOptions.RemoveEmptyEntries)) FakeLog(logDir, l);

        ZkDatabase.Purge(Path.Combine(_dir.Path, "data"), Path.Combine(_dir.Path, "datalog"), count);

        Assert.That(Names(snapDir), Is.EqualTo(keptSnapshots.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)));
        Assert.That(Names(logDir), Is.EqualTo(keptLogs.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)));
    }

    [Test]
    public void InvalidSnapshotsDoNotCountAsKept()
    {
        string dir = Path.Combine(_dir.Path, DataDirFiles.VersionDirectory);
        foreach (string s in new[] { "snapshot.10", "snapshot.20", "snapshot.30", "snapshot.40" }) FakeSnapshot(dir, s);
        FakeSnapshot(dir, "snapshot.50", valid: false);
        foreach (string l in new[] { "log.11", "log.21", "log.41", "log.51" }) FakeLog(dir, l);
        File.WriteAllText(Path.Combine(dir, "acceptedEpoch"), "1");

        ZkDatabase.Purge(_dir.Path, _dir.Path, 3);

        Assert.That(Names(dir), Is.EqualTo(new[] { "acceptedEpoch", "log.11", "log.21", "log.41", "log.51", "snapshot.20", "snapshot.30", "snapshot.40", "snapshot.50" }));
    }

    [Test]
    public void FewerThanThreeIsRefused() =>
        Assert.Throws<ArgumentException>(() => ZkDatabase.Purge(_dir.Path, _dir.Path, 2));

    [TestCase("{0} -n 3", 0)]
    [TestCase("{0} {0} -n 3", 0)]
    [TestCase("{0} -n 2", 1)]
    [TestCase("{0} -n x", 1)]
    [TestCase("{0} -c 3", 1)]
    [TestCase("{0}/missing -n 3", 1)]
    [TestCase("{0}", 1)]
    public void CommandLineFollowsZkCleanup(string args, int exitCode)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int rc = PurgeTxnLog.RunCommand(string.Format(args, _dir.Path).Split(' '), stdout, stderr);
        Assert.That(rc, Is.EqualTo(exitCode), stdout + "" + stderr);
        if (rc != 0) Assert.That(stdout.ToString(), Does.StartWith("Usage:"));
    }

    [Test]
    public void CommandPrintsEachRemovedFile()
    {
        string dir = Path.Combine(_dir.Path, DataDirFiles.VersionDirectory);
        foreach (string s in new[] { "snapshot.10", "snapshot.20", "snapshot.30", "snapshot.40" }) FakeSnapshot(dir, s);
        var stdout = new StringWriter();
        Assert.That(PurgeTxnLog.RunCommand([_dir.Path, "-n", "3"], stdout, new StringWriter()), Is.Zero);
        Assert.That(stdout.ToString(), Does.StartWith("Removing file: ").And.Contain(Path.Combine(dir, "snapshot.10")));
    }
}
