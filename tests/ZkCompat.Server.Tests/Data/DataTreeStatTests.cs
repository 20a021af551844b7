using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

/// <summary>The special nodes of a fresh tree and the Stat rules of DataTree.java / DataNode.copyStat.</summary>
[TestFixture]
public class DataTreeStatTests
{
    [Test]
    public void Fresh_tree_holds_root_zookeeper_quota_and_config()
    {
        var tree = new DataTree();

        Assert.Multiple(() =>
        {
            // "" and "/" both map the root, as in Java, and both count.
            Assert.That(tree.NodeCount, Is.EqualTo(5));
            Assert.That(tree.GetNode(""), Is.SameAs(tree.GetNode("/")));
            Assert.That(tree.GetChildren("/", null, null), Is.EqualTo(new[] { "zookeeper" }));
            Assert.That(tree.GetChildren("/zookeeper", null, null), Is.EquivalentTo(new[] { "quota", "config" }));
            Assert.That(tree.GetChildren("/zookeeper/quota", null, null), Is.Empty);
            Assert.That(tree.GetAllChildrenNumber("/"), Is.EqualTo(3));
            Assert.That(tree.LastProcessedZxid, Is.Zero);
            // "" 0 + "/" 1 + "/zookeeper" 10 + "/zookeeper/quota" 16 + "/zookeeper/config" 17.
            Assert.That(tree.CachedApproximateDataSize, Is.EqualTo(44));
        });
    }

    [Test]
    public void Fresh_root_reports_cversion_minus_one()
    {
        // Stored cversion 0 with one child: 2*0 - 1.
        var stat = new DataTree().StatOf("/");

        Assert.That(stat, Is.EqualTo(new Stat { Cversion = -1, NumChildren = 1 }));
    }

    [Test]
    public void Config_node_is_read_only_for_anyone_with_aversion_minus_one()
    {
        var tree = new DataTree();
        var stat = new Stat();

        var acl = tree.GetACL("/zookeeper/config", stat);

        Assert.That(acl, Is.EqualTo(new[] { Acl(Perms.Read, "world", "anyone") }));
        Assert.That(stat.Aversion, Is.EqualTo(-1));
        Assert.That(tree.GetNode("/zookeeper/config")!.AclRef, Is.EqualTo(1));
        Assert.That(tree.Acls.Count, Is.EqualTo(1));
        Assert.That(tree.GetACL("/zookeeper", new Stat()), Is.EqualTo(WellKnownAcls.OpenAclUnsafe()));
    }

    [TestCase("/", true)]
    [TestCase("/zookeeper", true)]
    [TestCase("/zookeeper/quota", true)]
    [TestCase("/zookeeper/config", true)]
    [TestCase("/zookeeper/other", false)]
    [TestCase("/a", false)]
    public void Special_paths_are_the_four_built_in_nodes(string path, bool special)
    {
        Assert.That(new DataTree().IsSpecialPath(path), Is.EqualTo(special));
    }

    [Test]
    public void Create_sets_every_zxid_and_time_to_the_txn()
    {
        var tree = new DataTree();

        var rc = tree.Create("/a", zxid: 0x10, data: [1, 2], session: 0x55, time: 1234);

        Assert.That(rc.Err, Is.Zero);
        Assert.That(tree.StatOf("/a"), Is.EqualTo(new Stat
        {
            Czxid = 0x10, Mzxid = 0x10, Pzxid = 0x10, Ctime = 1234, Mtime = 1234,
            Version = 0, Cversion = 0, Aversion = 0, EphemeralOwner = 0, DataLength = 2, NumChildren = 0,
        }));
    }

    // Ops on the children of /p: "+x" creates /p/x, "-x" deletes it. Each op gets the next zxid from 2.
    [TestCase("+a +b", 2, 2, 3)]
    [TestCase("+a +b -a", 3, 1, 4)]
    [TestCase("+a +b -a -b", 4, 0, 5)]
    [TestCase("+a -a +a", 3, 1, 4)]
    [TestCase("+a +b +c -b", 4, 2, 5)]
    public void Reported_cversion_counts_creates_and_deletes(string ops, int cversion, int numChildren, long pzxid)
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        long zxid = 1;
        foreach (var op in ops.Split(' '))
        {
            string path = "/p/" + op[1..];
            var rc = op[0] == '+' ? tree.Create(path, ++zxid) : tree.Delete(path, ++zxid);
            Assert.That(rc.Err, Is.Zero, op);
        }

        var stat = tree.StatOf("/p");

        Assert.That((stat.Cversion, stat.NumChildren, stat.Pzxid), Is.EqualTo((cversion, numChildren, pzxid)));
        // Deletes never change the stored count of creates.
        Assert.That(tree.GetNode("/p")!.Stat.Cversion, Is.EqualTo(ops.Split(' ').Count(o => o[0] == '+')));
        Assert.That(stat.Mzxid, Is.EqualTo(1), "child changes leave mzxid alone");
    }

    [Test]
    public void SetData_sets_version_mzxid_and_mtime_only()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 2, data: [1], time: 100);

        var first = tree.SetData("/a", [1, 2, 3], zxid: 5, time: 200);
        var second = tree.SetData("/a", null, zxid: 6, time: 300);

        Assert.That(first.Stat, Is.EqualTo(new Stat
        {
            Czxid = 2, Mzxid = 5, Pzxid = 2, Ctime = 100, Mtime = 200, Version = 1, DataLength = 3,
        }));
        Assert.That(second.Stat!.Version, Is.EqualTo(2));
        Assert.That(second.Stat.DataLength, Is.Zero);
        Assert.That(tree.StatOf("/a"), Is.EqualTo(second.Stat));
        Assert.That(tree.GetData("/a", new Stat(), null), Is.Null);
    }

    [Test]
    public void SetAcl_sets_aversion_and_the_acl_but_not_mzxid()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 2);
        var acl = new List<ACL> { Acl(Perms.Read | Perms.Write, "digest", "u:h") };

        var rc = tree.SetAcl("/a", acl, zxid: 7);

        var stat = new Stat();
        Assert.That(tree.GetACL("/a", stat), Is.EqualTo(acl));
        Assert.That(rc.Stat, Is.EqualTo(stat));
        Assert.That((stat.Aversion, stat.Mzxid, stat.Version), Is.EqualTo((1, 2L, 0)));
    }

    [TestCase(-1, 1)]
    [TestCase(1, 1)]
    [TestCase(5, 5)]
    public void Parent_cversion_comes_from_the_txn_and_minus_one_means_next(int parentCVersion, int stored)
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        var txn = CreateTxn(tree, "/p/a");
        txn.ParentCVersion = parentCVersion;

        tree.ProcessTxn(Header(OpCode.Create, 9), txn);

        Assert.That(tree.GetNode("/p")!.Stat.Cversion, Is.EqualTo(stored));
        Assert.That(tree.GetNode("/p")!.Stat.Pzxid, Is.EqualTo(9));
    }

    [Test]
    public void A_lower_parent_cversion_from_replay_leaves_cversion_and_pzxid_but_adds_the_child()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        var first = CreateTxn(tree, "/p/a");
        first.ParentCVersion = 5;
        tree.ProcessTxn(Header(OpCode.Create, 10), first);
        var replayed = CreateTxn(tree, "/p/b");
        replayed.ParentCVersion = 3;

        var rc = tree.ProcessTxn(Header(OpCode.Create, 11), replayed);

        Assert.That(rc.Err, Is.Zero);
        Assert.That(tree.GetNode("/p/b"), Is.Not.Null);
        Assert.That((tree.GetNode("/p")!.Stat.Cversion, tree.GetNode("/p")!.Stat.Pzxid), Is.EqualTo((5, 10L)));
    }

    [Test]
    public void Delete_only_moves_the_parent_pzxid_forward()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        tree.Create("/p/a", zxid: 10);

        tree.Delete("/p/a", zxid: 7);

        Assert.That(tree.StatOf("/p").Pzxid, Is.EqualTo(10));
    }

    [Test]
    public void GetChildren_and_GetData_fill_the_stat()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1, data: [9]);
        tree.Create("/p/a", zxid: 2);
        var childrenStat = new Stat();
        var dataStat = new Stat();

        var children = tree.GetChildren("/p", childrenStat, null);
        var data = tree.GetData("/p", dataStat, null);

        Assert.That(children, Is.EqualTo(new[] { "a" }));
        Assert.That(data, Is.EqualTo(new byte[] { 9 }));
        Assert.That(childrenStat, Is.EqualTo(tree.StatOf("/p")));
        Assert.That(dataStat, Is.EqualTo(childrenStat));
        Assert.That(childrenStat.NumChildren, Is.EqualTo(1));
    }
}
