using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Tests.Data;

/// <summary>
/// The compact node layout: children indexed by name inside the node (array, then table), no path
/// map (lookups walk from the root), orphans kept as Java's map keeps them, shared name strings.
/// </summary>
public sealed class DataTreeLayoutTests
{
    [TestCase(3)]
    [TestCase(DataNode.SmallChildLimit)]
    [TestCase(DataNode.SmallChildLimit + 1)]
    [TestCase(2000)]
    public void ChildrenKeepTheOrderTheyWereAddedInThroughDeletesAndLookups(int count)
    {
        var tree = new DataTree();
        long zxid = 1;
        tree.Create("/p", zxid++);
        var expected = new List<string>();
        for (int i = 0; i < count; i++)
        {
            tree.Create("/p/c" + i, zxid++);
            expected.Add("c" + i);
        }
        // Every third goes, then some come back: they come after the survivors.
        for (int i = 0; i < count; i += 3)
        {
            Assert.That(tree.Delete("/p/c" + i, zxid++).Err, Is.Zero);
            expected.Remove("c" + i);
        }
        for (int i = 0; i < count; i += 6)
        {
            tree.Create("/p/c" + i, zxid++);
            expected.Add("c" + i);
        }

        Assert.That(tree.GetChildren("/p", null, null), Is.EqualTo(expected));
        Assert.That(tree.GetNode("/p")!.ChildCount, Is.EqualTo(expected.Count));
        for (int i = 0; i < count; i++)
        {
            bool present = i % 3 != 0 || i % 6 == 0;
            Assert.That(tree.GetNode("/p/c" + i) is not null, Is.EqualTo(present), "c" + i);
            Assert.That(tree.GetNode("/p")!.HasChild("c" + i), Is.EqualTo(present), "c" + i);
        }
        Assert.That(tree.GetNode("/p/c" + count), Is.Null);
    }

    [Test]
    public void ManyDeletesShrinkTheTableAndLeaveItConsistent()
    {
        var tree = new DataTree();
        long zxid = 1;
        tree.Create("/p", zxid++);
        for (int i = 0; i < 5000; i++) tree.Create("/p/n" + i, zxid++);
        for (int i = 0; i < 4990; i++) tree.Delete("/p/n" + i, zxid++);

        Assert.That(tree.GetChildren("/p", null, null), Is.EqualTo(Enumerable.Range(4990, 10).Select(i => "n" + i)));
        for (int i = 0; i < 10; i++) tree.Delete("/p/n" + (4990 + i), zxid++);
        Assert.That(tree.GetNode("/p")!.ChildCount, Is.Zero);
        tree.Create("/p/again", zxid++);
        Assert.That(tree.GetChildren("/p", null, null), Is.EqualTo(new[] { "again" }));
        Assert.That(tree.NodeCount, Is.EqualTo(7));
    }

    [TestCase("")]
    [TestCase("/")]
    public void RootAnswersToBothNames(string path) =>
        Assert.That(new DataTree().GetNode(path)!.Name, Is.Empty);

    [TestCase("zookeeper")]
    [TestCase("/zookeeper/")]
    [TestCase("//zookeeper")]
    [TestCase("/zookeeper//quota")]
    [TestCase("/nope/quota")]
    public void PathsJavasMapWouldNotHoldAreNotFound(string path) =>
        Assert.That(new DataTree().GetNode(path), Is.Null);

    [Test]
    public void NodesOfTheSameNameShareOneString()
    {
        var tree = new DataTree();
        tree.Create("/a", 1);
        tree.Create("/b", 2);
        tree.Create("/a/config", 3);
        tree.Create("/b/config", 4);
        Assert.That(tree.GetNode("/b/config")!.Name, Is.SameAs(tree.GetNode("/a/config")!.Name));
    }

    /// <summary>
    /// A delete replayed while the node still has children (a fuzzy snapshot's overlap): Java's map
    /// keeps the children, so they are still found by path, counted and in the digest.
    /// </summary>
    [Test]
    public void ChildrenOfADeletedNodeStayAsInJavasMap()
    {
        var tree = new DataTree();
        tree.Create("/a", 1);
        tree.Create("/a/b", 2, data: [1]);
        tree.Create("/a/b/c", 3, data: [2]);
        int count = tree.NodeCount;

        Assert.That(tree.Delete("/a", 4).Err, Is.Zero);
        Assert.Multiple(() =>
        {
            Assert.That(tree.NodeCount, Is.EqualTo(count - 1));
            Assert.That(tree.GetNode("/a"), Is.Null);
            Assert.That(tree.GetNode("/a/b")!.Data, Is.EqualTo(new byte[] { 1 }));
            Assert.That(tree.GetNode("/a/b/c")!.Data, Is.EqualTo(new byte[] { 2 }));
            Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()));
            Assert.That(tree.GetChildren("/", null, null), Does.Not.Contain("a"));
        });

        // A new /a starts without children; a create of /a/b replaces the orphan (a map put).
        tree.Create("/a", 5);
        Assert.That(tree.GetNode("/a")!.ChildCount, Is.Zero);
        Assert.That(tree.GetNode("/a/b"), Is.Not.Null, "still the orphan");
        tree.Create("/a/b", 6, data: [9]);
        Assert.Multiple(() =>
        {
            Assert.That(tree.NodeCount, Is.EqualTo(count));
            Assert.That(tree.GetNode("/a/b")!.Data, Is.EqualTo(new byte[] { 9 }));
            Assert.That(tree.GetNode("/a/b/c")!.Data, Is.EqualTo(new byte[] { 2 }), "the old /a/b's child stays in the map");
            Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()));
        });

        // Deleting the orphan grandchild by path removes it, as Java's map remove does.
        Assert.That(tree.Delete("/a/b/c", 7).Err, Is.Zero);
        Assert.That(tree.GetNode("/a/b/c"), Is.Null);
        Assert.That(tree.NodeCount, Is.EqualTo(count - 1));
        Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()));
    }

    [Test]
    public void OrphansAreNotWrittenToSnapshots()
    {
        var tree = new DataTree();
        tree.Create("/a", 1);
        tree.Create("/a/b", 2);
        tree.Delete("/a", 3);

        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new JuteWriter(buffer);
        tree.Serialize(ref writer);
        writer.Flush();
        var loaded = new DataTree();
        var reader = new JuteReader(buffer.WrittenMemory);
        loaded.Deserialize(ref reader);

        Assert.That(loaded.GetNode("/a/b"), Is.Null);
        Assert.That(loaded.NodeCount, Is.EqualTo(new DataTree().NodeCount));
    }

    [Test]
    public void StatIsACopy()
    {
        var tree = new DataTree();
        tree.Create("/a", 7);
        var node = tree.GetNode("/a")!;
        var stat = node.Stat;
        stat.Version = 99;
        Assert.That(node.Stat.Version, Is.Zero);
        Assert.That(node.Stat.Czxid, Is.EqualTo(7));
        var clientStat = new Stat();
        node.CopyStat(clientStat);
        Assert.That(clientStat.Mzxid, Is.EqualTo(7));
    }

    [Test]
    public async Task LookupsWithoutLocksSeeEveryStableNodeWhileATableGrowsAndShrinks()
    {
        var tree = new DataTree();
        long zxid = 1;
        tree.Create("/p", zxid++);
        for (int i = 0; i < 100; i++) tree.Create("/p/stable" + i, zxid++);
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            long misses = 0;
            while (!stop.IsCancellationRequested)
            {
                for (int i = 0; i < 100; i++)
                {
                    if (tree.GetNode("/p/stable" + i) is null) misses++;
                }
            }
            return misses;
        });
        await Task.Run(() =>
        {
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < 2000; i++) tree.Create("/p/churn" + i, zxid++);
                for (int i = 0; i < 2000; i++) tree.Delete("/p/churn" + i, zxid++);
            }
        });
        await stop.CancelAsync();
        Assert.That(await reader, Is.Zero);
        Assert.That(tree.GetNode("/p")!.ChildCount, Is.EqualTo(100));
    }

    [Test]
    public void DeletingAMissingChildIsNoNode()
    {
        var tree = new DataTree();
        tree.Create("/p", 1);
        Assert.That(tree.Delete("/p/none", 2).Err, Is.EqualTo((int)ErrorCode.NoNode));
        Assert.That(tree.Delete("/none/x", 3).Err, Is.EqualTo((int)ErrorCode.NoNode));
    }
}
