using ZkCompat.Protocol;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Zab;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class CommittedLogTests
{
    private static byte[] Data(long zxid) => BitConverter.GetBytes(zxid);

    [Test]
    public void KeepsOnlyTheNewestCapacityProposalsInOrder()
    {
        var log = new CommittedLog(3);
        Assert.That(log.Snapshot(), Is.Empty);
        Assert.That((log.MinZxid, log.MaxZxid), Is.EqualTo((0L, 0L)));

        for (long z = 1; z <= 5; z++) Assert.That(log.Add(z, Data(z)), Is.True);

        Assert.That(log.Count, Is.EqualTo(3));
        Assert.That(log.Snapshot().Select(p => p.Zxid), Is.EqualTo(new long[] { 3, 4, 5 }));
        Assert.That(log.Snapshot().Select(p => p.Data), Is.EqualTo(new[] { Data(3), Data(4), Data(5) }));
        Assert.That((log.MinZxid, log.MaxZxid), Is.EqualTo((3L, 5L)));
    }

    [Test]
    public void RejectsAZxidNotAfterTheNewest()
    {
        var log = new CommittedLog(10);
        log.Add(0x100000002, Data(2));
        Assert.That(log.Add(0x100000002, Data(9)), Is.False);
        Assert.That(log.Add(0x100000001, Data(1)), Is.False);
        Assert.That(log.Add(0x200000001, Data(3)), Is.True);
        Assert.That(log.Snapshot().Select(p => p.Zxid), Is.EqualTo(new[] { 0x100000002, 0x200000001 }));
    }

    [Test]
    public void ASnapshotNeverChangesAfterwards()
    {
        var log = new CommittedLog(2);
        log.Add(1, Data(1));
        log.Add(2, Data(2));
        var before = log.Snapshot();
        Assert.That(log.Snapshot(), Is.SameAs(before));
        log.Add(3, Data(3));
        log.Clear();
        Assert.That(before.Select(p => p.Zxid), Is.EqualTo(new long[] { 1, 2 }));
        Assert.That(before is not ICollection<CommittedProposal> collection || collection.IsReadOnly, Is.True);
        Assert.That(log.Snapshot(), Is.Empty);
        Assert.That((log.Count, log.MinZxid, log.MaxZxid), Is.EqualTo((0, 0L, 0L)));
        log.Add(1, Data(1));
        Assert.That(log.Snapshot().Select(p => p.Zxid), Is.EqualTo(new long[] { 1 }));
    }

    [Test]
    public async Task ReadersAlwaysSeeAnAscendingBoundedList()
    {
        var log = new CommittedLog(50);
        const long last = 20_000;
        var writer = Task.Run(() =>
        {
            for (long z = 1; z <= last; z++) log.Add(z, Data(z));
        });
        // Each reader returns the first broken snapshot it saw, or null.
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (true)
            {
                bool writerDone = writer.IsCompleted;
                var snapshot = log.Snapshot();
                if (snapshot.Count > 50) return $"{snapshot.Count} entries";
                for (int i = 1; i < snapshot.Count; i++)
                {
                    if (snapshot[i].Zxid != snapshot[i - 1].Zxid + 1) return $"{snapshot[i - 1].Zxid} then {snapshot[i].Zxid}";
                }
                if (writerDone) return null;
            }
        })).ToArray();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        var problems = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(problems, Is.All.Null);
        Assert.That((log.MinZxid, log.MaxZxid), Is.EqualTo((last - 49, last)));
    }

    [TestCase(null, 500)]
    [TestCase("1000", 1000)]
    [TestCase("100", 500)]
    [TestCase("0x400", 500)]
    [TestCase("lots", 500)]
    public void CapacityComesFromCommitLogCountWithJavasFloor(string? value, int expected)
    {
        var properties = value is null ? null : new Dictionary<string, string> { ["zookeeper.commitLogCount"] = value };
        var options = Persist.Options("/unused", properties: properties);
        Assert.That(CommittedLog.CapacityFrom(options), Is.EqualTo(expected));
    }

    [Test]
    public void RestoreFillsItWithTheNewestTxnsReplayedAfterTheSnapshot()
    {
        using var dir = new TempDir();
        var options = Persist.Options(dir.Path);
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            Assert.That(db.CommittedLog.Count, Is.Zero);
            Assert.That(db.CommittedLog.Capacity, Is.EqualTo(500));
        }
        var script = new TxnScript();
        script.CreateSession(0x1000001, 30000);
        for (int i = 0; script.LastZxid < 600; i++)
        {
            if (i % 4 == 3) script.SetData("/t" + (i - 1), [(byte)i]);
            else script.Create("/t" + i, [(byte)i], ephemeralSession: i % 5 == 0 ? 0x1000001 : 0, type: i % 2 == 0 ? OpCode.Create : OpCode.Create2);
        }
        using (var db = Persist.Open(options))
        {
            db.Restore();
            Persist.WriteLog(db.FileTxnLog, script.Entries.Take(40), rollEvery: 25);
        }
        using (var db = Persist.Open(options))
        {
            db.Restore();
            Assert.That(db.CommittedLog.Snapshot().Select(p => p.Zxid), Is.EqualTo(Enumerable.Range(1, 40).Select(z => (long)z)));
            db.TakeSnapshot();
            Persist.WriteLog(db.FileTxnLog, script.Entries.Skip(40), rollEvery: 100);
        }

        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            var committed = db.CommittedLog.Snapshot();
            Assert.That(committed.Select(p => p.Zxid), Is.EqualTo(Enumerable.Range(101, 500).Select(z => (long)z)));
            Assert.That(committed.Select(p => p.Data), Is.EqualTo(script.Entries.Skip(100).Select(e => TxnLogEntry.Marshal(e.Header, e.Txn, e.Digest))));
            Assert.That((db.CommittedLog.MinZxid, db.CommittedLog.MaxZxid), Is.EqualTo((101L, 600L)));
        }

        // LoadDataBase above snapshotted at 600: nothing is left to replay.
        using (var db = Persist.Open(options))
        {
            db.Restore();
            Assert.That(db.CommittedLog.Count, Is.Zero);
        }

        var larger = Persist.Options(dir.Path, properties: new() { ["zookeeper.commitLogCount"] = "700" });
        File.Delete(Path.Combine(dir.VersionDir, "snapshot.258"));
        using (var db = Persist.Open(larger))
        {
            db.Restore();
            Assert.That(db.CommittedLog.Capacity, Is.EqualTo(700));
            // Only the txns after the snapshot at 40 are replayed, so only they are held.
            Assert.That(db.CommittedLog.Snapshot().Select(p => p.Zxid), Is.EqualTo(Enumerable.Range(41, 560).Select(z => (long)z)));
        }
    }
}
