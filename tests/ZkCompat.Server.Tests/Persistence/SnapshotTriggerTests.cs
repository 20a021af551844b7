using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class SnapshotTriggerTests
{
    [TestCase(100000, 42)]
    [TestCase(10, 7)]
    [TestCase(2, 1)]
    public void TxnRuleIsHalfTheSnapCountPlusARandomPart(int snapCount, int seed)
    {
        int expectedRoll = new Random(seed).Next(snapCount / 2);
        var trigger = new SnapshotTrigger(snapCount, -1, new Random(seed));
        int threshold = snapCount / 2 + expectedRoll;

        Assert.That(trigger.TxnThreshold, Is.EqualTo(threshold));
        Assert.That(trigger.ShouldSnapshot(threshold, 0), Is.False);
        Assert.That(trigger.ShouldSnapshot(threshold + 1, 0), Is.True);
        Assert.That(trigger.SizeThreshold, Is.EqualTo(-1));
        Assert.That(trigger.ShouldSnapshot(0, long.MaxValue), Is.False, "size rule off");
    }

    [Test]
    public void SizeRuleIsHalfTheLimitPlusARandomPart()
    {
        const long limit = 4194304L * 1024;
        var random = new Random(3);
        random.Next(50000);
        long expectedSize = limit / 2 + Math.Abs(random.NextInt64() % (limit / 2));
        var trigger = new SnapshotTrigger(100000, limit, new Random(3));

        Assert.That(trigger.SizeThreshold, Is.EqualTo(expectedSize));
        Assert.That(trigger.ShouldSnapshot(0, expectedSize), Is.False);
        Assert.That(trigger.ShouldSnapshot(0, expectedSize + 1), Is.True);
    }

    [Test]
    public void ResetDrawsNewThresholds()
    {
        var trigger = new SnapshotTrigger(1_000_000, 1L << 40, new Random(9));
        var seen = new HashSet<int> { trigger.TxnThreshold };
        for (int i = 0; i < 5; i++)
        {
            trigger.Reset();
            seen.Add(trigger.TxnThreshold);
        }
        Assert.That(seen, Has.Count.GreaterThan(1));
    }

    [Test]
    public async Task SyncStageRollsAndSnapshotsWhenTheTriggerFires()
    {
        using var dir = new TempDir();
        var options = Persist.Options(dir.Path, snapCount: 10);
        var script = new TxnScript();
        for (int i = 0; i < 40; i++) script.Create("/n" + i);
        using var db = Persist.Open(options, new Random(1));
        db.LoadDataBase();

        var snapshots = new List<Task>();
        var rolledAt = new List<long>();
        foreach (var e in script.Entries)
        {
            // What SyncRequestProcessor does per request, then one commit per batch.
            FileTxnSnapLog.ProcessTransaction(db.Tree, db.SessionsWithTimeouts, e);
            db.TxnLog.Append(e.Header, e.Txn, e.Digest);
            if (db.ShouldSnapshot())
            {
                rolledAt.Add(e.Header.Zxid);
                if (db.RollLogAndStartSnapshot() is { } task)
                {
                    snapshots.Add(task);
                    await task;
                }
            }
            db.TxnLog.Commit();
        }
        await Task.WhenAll(snapshots);

        Assert.That(rolledAt, Is.Not.Empty);
        Assert.That(rolledAt.Zip(rolledAt.Skip(1), (a, b) => b - a), Has.All.InRange(6, 10), "after snapCount/2 + rand(snapCount/2) txns");
        var logs = Directory.GetFiles(dir.VersionDir, "log.*").Select(f => DataDirFiles.GetZxidFromName(Path.GetFileName(f), "log")).Order();
        Assert.That(logs, Is.EqualTo(new long[] { 1 }.Concat(rolledAt.Where(z => z < 40).Select(z => z + 1))));
        Assert.That(Directory.GetFiles(dir.VersionDir, "snapshot.*"), Has.Length.EqualTo(rolledAt.Count + 1));

        using var restarted = Persist.Open(options);
        Assert.That(restarted.LoadDataBase(), Is.EqualTo(40));
        Assert.That(DataDirDump.Format(restarted.Tree, restarted.Sessions, 40), Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, 40)));
    }
}
