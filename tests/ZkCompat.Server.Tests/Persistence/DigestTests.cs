using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Data;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class DigestTests
{
    // Expected values printed by Java 3.8.0 (/usr/share/java/zookeeper.jar): a small program made
    // `new org.apache.zookeeper.server.DataTree()`, printed getTreeDigest(), then applied exactly the
    // calls of BuildJavaScenario below (createNode/setData/setACL/deleteNode/setCversionPzxid with
    // the same arguments) and printed getTreeDigest() again.
    private const long JavaFreshTreeDigest = 1371985504;
    private const long JavaScenarioDigest = 13435978132;

    [Test]
    public void FreshTreeDigestEqualsJava() => Assert.That(new DataTree().TreeDigest, Is.EqualTo(JavaFreshTreeDigest));

    [Test]
    public void KnownTreeDigestEqualsJava()
    {
        var tree = new DataTree();
        BuildJavaScenario(tree);
        Assert.That(tree.TreeDigest, Is.EqualTo(JavaScenarioDigest));
        Assert.That(tree.ComputeTreeDigest(), Is.EqualTo(JavaScenarioDigest));
    }

    private static void BuildJavaScenario(DataTree t)
    {
        var open = WellKnownAcls.OpenAclUnsafe();
        Assert.That(t.TryCreateNode("/a", "hello"u8.ToArray(), open, 0, 1, 1, 1000, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TryCreateNode("/a/b", [0, 1, 2, 255], open, 0x1234, 1, 2, 2000, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TryCreateNode("/c", null, open, 0, 2, 3, 3000, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TrySetData("/a", "world"u8.ToArray(), 1, 4, 4000, out _), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TrySetAcl("/c", WellKnownAcls.ReadAclUnsafe(), 1, out _), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TryCreateNode("/zookeeper/x", [], open, 0, 1, 5, 5000, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TryDeleteNode("/a/b", 6), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TryCreateNode("/cont", [], open, long.MinValue, 3, 7, 7000, null), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TrySetData("/", "rootdata"u8.ToArray(), 1, 8, 8000, out _), Is.EqualTo(ErrorCode.Ok));
        Assert.That(t.TrySetCversionPzxid("/a", 5, 9), Is.EqualTo(ErrorCode.Ok));
    }

    [TestCase("123456789", 0xCBF43926L)]
    [TestCase("", 0L)]
    [TestCase("The quick brown fox jumps over the lazy dog", 0x414FA339L)]
    public void Crc32MatchesJavaUtilZip(string text, long expected) =>
        Assert.That(Crc32.Compute(System.Text.Encoding.ASCII.GetBytes(text)), Is.EqualTo(expected));

    [TestCase("/zookeeper/quota", true)]
    [TestCase("/zookeeper/config", true)]
    [TestCase("/zookeeper", false)]
    [TestCase("/zookeeperx", false)]
    [TestCase("", false)]
    public void NodesUnderZookeeperDoNotCount(string path, bool excluded)
    {
        var stat = new StatPersisted { Czxid = 5 };
        Assert.That(DigestCalculator.CalculateDigest(path, [1], stat) == 0, Is.EqualTo(excluded));
    }

    [Test]
    public void RootIsHashedAsTheEmptyPath()
    {
        var stat = new StatPersisted { Mzxid = 3 };
        Assert.That(DigestCalculator.CalculateDigest("/", [1], stat), Is.EqualTo(DigestCalculator.CalculateDigest("", [1], stat)));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void KeptDigestEqualsOneComputedFromScratch(int seed)
    {
        var script = TxnScript.EveryType();
        script.RandomWorkload(new Random(seed), 500);
        Assert.That(script.Tree.TreeDigest, Is.EqualTo(script.Tree.ComputeTreeDigest()));
        Assert.That(script.Tree.LastProcessedZxidDigest, Is.EqualTo(new ZxidDigest(script.LastZxid, 2, script.Tree.TreeDigest)));
    }

    [Test]
    public void ReplayChecksTheDigestOfEachTxnAndOnlyCountsMismatches()
    {
        using var dir = new TempDir();
        var options = Persist.Options(dir.Path);
        var script = TxnScript.EveryType();
        using (var db = Persist.Open(options))
        {
            db.LoadDataBase();
            foreach (var e in script.Entries)
            {
                var wrong = e.Header.Zxid == 5 ? new TxnDigest { Version = 2, TreeDigest = e.Digest!.TreeDigest + 1 } : e.Digest;
                SnapshotTests.Apply(db, e with { Digest = wrong });
            }
            db.TxnLog.Commit();
        }
        using var restarted = Persist.Open(options);
        restarted.Restore();
        Assert.That(restarted.Tree.DigestMismatchCount, Is.EqualTo(1));
        Assert.That(restarted.Tree.TreeDigest, Is.EqualTo(script.Tree.TreeDigest));
    }

    [Test]
    public void DisabledDigestReadsZeroAndSkipsComparisons()
    {
        var tree = new DataTree { DigestEnabled = false };
        tree.ProcessTxn(new TxnHeader { Zxid = 1, Type = (int)OpCode.Create },
            new CreateTxn { Path = "/x", Data = [1], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 },
            new TxnDigest { Version = 2, TreeDigest = 42 });
        Assert.That(tree.TreeDigest, Is.Zero);
        Assert.That(tree.DigestMismatchCount, Is.Zero);
        tree.DigestEnabled = true;
        Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()).And.Not.Zero);
    }
}
