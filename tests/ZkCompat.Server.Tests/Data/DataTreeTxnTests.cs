using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Data;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

/// <summary>DataTree.processTxn: results, failures, sessions and multi.</summary>
[TestFixture]
public class DataTreeTxnTests
{
    [Test]
    public void Result_echoes_the_header_and_path()
    {
        var tree = new DataTree();

        var rc = tree.ProcessTxn(Header(OpCode.Create, zxid: 0x21, session: 0x77, cxid: 9), CreateTxn(tree, "/a"));

        Assert.That((rc.ClientId, rc.Cxid, rc.Zxid, rc.Type, rc.Err, rc.Path), Is.EqualTo((0x77L, 9, 0x21L, 1, 0, "/a")));
        Assert.That(rc.Stat, Is.Null, "create (1) returns no stat");
        Assert.That(rc.MultiResult, Is.Null);
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(0x21));
    }

    [Test]
    public void Create2_returns_the_new_nodes_stat()
    {
        var tree = new DataTree();

        var rc = tree.Create("/a", zxid: 3, data: [1], type: OpCode.Create2);

        Assert.That(rc.Stat, Is.EqualTo(tree.StatOf("/a")));
    }

    [TestCase("/missing/a", ErrorCode.NoNode)]
    [TestCase("/a", ErrorCode.NodeExists)]
    public void Create_failures_are_results_not_exceptions(string path, ErrorCode expected)
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);

        var rc = tree.Create(path, zxid: 2, type: OpCode.Create2);

        Assert.That(rc.Err, Is.EqualTo((int)expected));
        Assert.That(rc.Stat, Is.Null);
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(2), "a failed txn still consumes its zxid");
    }

    [TestCase("/missing")]
    [TestCase("/missing/a")]
    public void Delete_and_setData_and_setAcl_of_a_missing_node_give_NoNode(string path)
    {
        var tree = new DataTree();

        Assert.That(tree.Delete(path, 1).Err, Is.EqualTo((int)ErrorCode.NoNode));
        Assert.That(tree.ProcessTxn(Header(OpCode.SetData, 2), new SetDataTxn { Path = path, Version = 1 }).Err,
            Is.EqualTo((int)ErrorCode.NoNode));
        Assert.That(tree.ProcessTxn(Header(OpCode.SetAcl, 3), new SetACLTxn { Path = path, Acl = [], Version = 1 }).Err,
            Is.EqualTo((int)ErrorCode.NoNode));
    }

    [Test]
    public void Deleting_a_missing_child_still_moves_the_parents_pzxid()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);

        var rc = tree.Delete("/p/gone", zxid: 8);

        Assert.That(rc.Err, Is.EqualTo((int)ErrorCode.NoNode));
        Assert.That(tree.StatOf("/p").Pzxid, Is.EqualTo(8));
    }

    [Test]
    public void Replayed_create_hitting_NodeExists_still_updates_the_parent()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        tree.Create("/p/a", zxid: 2);
        var replay = CreateTxn(tree, "/p/a");
        replay.ParentCVersion = 7;

        var rc = tree.ProcessTxn(Header(OpCode.Create, 9), replay);

        Assert.That(rc.Err, Is.EqualTo((int)ErrorCode.NodeExists));
        Assert.That((tree.GetNode("/p")!.Stat.Cversion, tree.GetNode("/p")!.Stat.Pzxid), Is.EqualTo((7, 9L)));
    }

    [Test]
    public void Replayed_create2_hitting_NodeExists_leaves_the_parent_as_Java_3_8_0_does()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        tree.Create("/p/a", zxid: 2);
        var replay = CreateTxn(tree, "/p/a");
        replay.ParentCVersion = 7;

        var rc = tree.ProcessTxn(Header(OpCode.Create2, 9), replay);

        Assert.That(rc.Err, Is.EqualTo((int)ErrorCode.NodeExists));
        Assert.That((tree.GetNode("/p")!.Stat.Cversion, tree.GetNode("/p")!.Stat.Pzxid), Is.EqualTo((1, 2L)));
    }

    [TestCase(ErrorCode.NoNode)]
    [TestCase(ErrorCode.BadVersion)]
    [TestCase(ErrorCode.NoAuth)]
    public void Error_txn_reports_its_code_and_consumes_the_zxid(ErrorCode code)
    {
        var tree = new DataTree();

        var rc = tree.ProcessTxn(Header(OpCode.Error, 4), new ErrorTxn { Err = (int)code });

        Assert.That(rc.Err, Is.EqualTo((int)code));
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(4));
    }

    [Test]
    public void CreateSession_changes_nothing_but_the_zxid()
    {
        var tree = new DataTree();

        var rc = tree.ProcessTxn(Header(OpCode.CreateSession, 3, session: 0x99), new CreateSessionTxn { TimeOut = 30000 });

        Assert.That(rc.Err, Is.Zero);
        Assert.That(tree.NodeCount, Is.EqualTo(5));
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(3));
    }

    [Test]
    public void LastProcessedZxid_never_goes_back()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 10);

        tree.Create("/b", zxid: 5);

        Assert.That(tree.LastProcessedZxid, Is.EqualTo(10));
    }

    [Test]
    public void Reconfig_txn_writes_the_config_node()
    {
        var tree = new DataTree();
        byte[] config = "server.1=a:2888:3888:participant;2181\nversion=100000000"u8.ToArray();

        var rc = tree.ProcessTxn(Header(OpCode.Reconfig, 0x100000000),
            new SetDataTxn { Path = "/zookeeper/config", Data = config, Version = -1 });

        Assert.That(rc.Err, Is.Zero);
        var stat = new Stat();
        Assert.That(tree.GetData("/zookeeper/config", stat, null), Is.EqualTo(config));
        Assert.That((stat.Version, stat.Mzxid), Is.EqualTo((-1, 0x100000000L)));
    }

    [Test]
    public void Ephemerals_are_indexed_by_owner_and_reported_with_it()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        tree.Create("/p/e1", zxid: 2, session: 0x100, ephemeral: true);
        tree.Create("/p/e2", zxid: 3, session: 0x100, ephemeral: true);
        tree.Create("/p/e3", zxid: 4, session: 0x200, ephemeral: true);
        tree.Create("/p/plain", zxid: 5, session: 0x100);

        Assert.Multiple(() =>
        {
            Assert.That(tree.GetEphemerals(0x100), Is.EquivalentTo(new[] { "/p/e1", "/p/e2" }));
            Assert.That(tree.GetEphemerals(0x200), Is.EquivalentTo(new[] { "/p/e3" }));
            Assert.That(tree.GetEphemerals(0x300), Is.Empty);
            Assert.That(tree.GetSessionsWithEphemerals(), Is.EquivalentTo(new long[] { 0x100, 0x200 }));
            Assert.That(tree.EphemeralsCount, Is.EqualTo(3));
            Assert.That(tree.StatOf("/p/e1").EphemeralOwner, Is.EqualTo(0x100));
            Assert.That(tree.StatOf("/p/plain").EphemeralOwner, Is.Zero);
        });
    }

    [Test]
    public void CloseSession_deletes_the_sessions_ephemerals_at_the_close_zxid()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        tree.Create("/p/e1", zxid: 2, session: 0x100, ephemeral: true);
        tree.Create("/p/e2", zxid: 3, session: 0x100, ephemeral: true);
        tree.Create("/p/other", zxid: 4, session: 0x200, ephemeral: true);

        var rc = tree.CloseSession(0x100, zxid: 20);

        Assert.That(rc.Err, Is.Zero);
        Assert.That(tree.GetChildren("/p", null, null), Is.EqualTo(new[] { "other" }));
        Assert.That(tree.GetEphemerals(0x100), Is.Empty);
        Assert.That(tree.GetSessionsWithEphemerals(), Is.EquivalentTo(new long[] { 0x200 }));
        Assert.That(tree.StatOf("/p").Pzxid, Is.EqualTo(20));
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(20));
    }

    [Test]
    public void CloseSession_with_a_body_deletes_listed_and_unlisted_ephemerals_and_skips_missing_ones()
    {
        var tree = new DataTree();
        tree.Create("/e1", zxid: 2, session: 0x100, ephemeral: true);
        tree.Create("/e2", zxid: 3, session: 0x100, ephemeral: true);

        var rc = tree.CloseSession(0x100, zxid: 9, paths2Delete: ["/e1", "/not-there"]);

        Assert.That(rc.Err, Is.Zero);
        Assert.That(tree.GetNode("/e1"), Is.Null);
        Assert.That(tree.GetNode("/e2"), Is.Null);
        Assert.That(tree.GetSessionsWithEphemerals(), Is.Empty);
    }

    [Test]
    public void Deleting_an_ephemeral_unindexes_it_but_the_session_stays_listed_until_closed()
    {
        var tree = new DataTree();
        tree.Create("/e", zxid: 2, session: 0x100, ephemeral: true);

        tree.Delete("/e", zxid: 3);

        Assert.That(tree.GetEphemerals(0x100), Is.Empty);
        Assert.That(tree.GetSessionsWithEphemerals(), Is.EquivalentTo(new long[] { 0x100 }));
        tree.KillSession(0x100, zxid: 4);
        Assert.That(tree.GetSessionsWithEphemerals(), Is.Empty);
    }

    [Test]
    public void KillSession_deletes_the_ephemerals_without_a_txn()
    {
        var tree = new DataTree();
        tree.Create("/e", zxid: 2, session: 0x100, ephemeral: true);

        tree.KillSession(0x100, zxid: 5);

        Assert.That(tree.GetNode("/e"), Is.Null);
        Assert.That(tree.StatOf("/").Pzxid, Is.EqualTo(5));
    }

    [TestCase(OpCode.Delete)]
    [TestCase(OpCode.DeleteContainer)]
    public void Containers_are_indexed_and_report_owner_zero(OpCode deleteType)
    {
        var tree = new DataTree();

        var rc = tree.CreateContainer("/c", zxid: 2);

        Assert.That(rc.Stat!.EphemeralOwner, Is.Zero);
        Assert.That(tree.GetNode("/c")!.Stat.EphemeralOwner, Is.EqualTo(long.MinValue));
        Assert.That(tree.GetNode("/c")!.EphemeralType, Is.EqualTo(EphemeralType.Container));
        Assert.That(tree.GetContainers(), Is.EqualTo(new[] { "/c" }));
        Assert.That(tree.GetSessionsWithEphemerals(), Is.Empty);

        tree.Delete("/c", zxid: 3, deleteType);
        Assert.That(tree.GetContainers(), Is.Empty);
    }

    [Test]
    public void Ttl_nodes_are_indexed_and_report_owner_zero()
    {
        var tree = new DataTree(extendedTypesEnabled: true);

        var rc = tree.CreateTtl("/t", zxid: 2, ttl: 60000);

        long stored = tree.GetNode("/t")!.Stat.EphemeralOwner;
        Assert.That(stored, Is.EqualTo(unchecked((long)0xFF0000000000EA60UL)));
        Assert.That(EphemeralTypes.GetTtl(stored), Is.EqualTo(60000));
        Assert.That(rc.Stat!.EphemeralOwner, Is.Zero);
        Assert.That(tree.StatOf("/t").EphemeralOwner, Is.Zero);
        Assert.That(tree.GetTtls(), Is.EqualTo(new[] { "/t" }));
        Assert.That(tree.GetSessionsWithEphemerals(), Is.Empty);

        tree.Delete("/t", zxid: 3);
        Assert.That(tree.GetTtls(), Is.Empty);
    }

    [TestCase("/", 8)]
    [TestCase("/a", 3)]
    [TestCase("/a/b", 1)]
    [TestCase("/a/b/c", 0)]
    [TestCase("/x", 0)]
    [TestCase("/zookeeper", 2)]
    [TestCase("/missing", 0)]
    public void GetAllChildrenNumber_counts_all_descendants(string path, int expected)
    {
        var tree = new DataTree();
        long zxid = 0;
        foreach (var p in new[] { "/a", "/a/b", "/a/b/c", "/a/d", "/x" }) tree.Create(p, ++zxid);

        Assert.That(tree.GetAllChildrenNumber(path), Is.EqualTo(expected));
    }

    [Test]
    public void Reads_of_a_missing_node_throw_NoNode_except_stat()
    {
        var tree = new DataTree();

        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<KeeperException>(() => tree.GetData("/m", new Stat(), null))!.Code, Is.EqualTo(ErrorCode.NoNode));
            Assert.That(Assert.Throws<KeeperException>(() => tree.GetChildren("/m", null, null))!.Code, Is.EqualTo(ErrorCode.NoNode));
            Assert.That(Assert.Throws<KeeperException>(() => tree.GetACL("/m", new Stat()))!.Code, Is.EqualTo(ErrorCode.NoNode));
            Assert.That(tree.StatNode("/m", null), Is.Null);
        });
    }

    [Test]
    public void Nodes_sharing_an_acl_share_one_counted_cache_entry()
    {
        var tree = new DataTree();
        var acl = new List<ACL> { Acl(Perms.All, "digest", "u:h") };
        tree.Create("/a", zxid: 1, acl: acl);
        tree.Create("/b", zxid: 2, acl: acl);
        long aclRef = tree.GetNode("/a")!.AclRef;

        Assert.That(tree.GetNode("/b")!.AclRef, Is.EqualTo(aclRef));
        Assert.That(tree.Acls.GetReferenceCount(aclRef), Is.EqualTo(2));

        tree.Delete("/a", zxid: 3);
        Assert.That(tree.Acls.GetReferenceCount(aclRef), Is.EqualTo(1));

        tree.SetAcl("/b", WellKnownAcls.OpenAclUnsafe(), zxid: 4);
        Assert.That(() => tree.Acls.ConvertLong(aclRef), Throws.InvalidOperationException);
    }

    [Test]
    public void A_create_that_hits_NodeExists_still_counts_its_acl_like_Java()
    {
        var tree = new DataTree();
        var acl = new List<ACL> { Acl(Perms.All, "digest", "u:h") };
        tree.Create("/a", zxid: 1, acl: acl);

        tree.Create("/a", zxid: 2, acl: acl);

        Assert.That(tree.Acls.GetReferenceCount(tree.GetNode("/a")!.AclRef), Is.EqualTo(2));
    }

    [Test]
    public void Data_size_tracks_paths_and_data()
    {
        var tree = new DataTree();
        long fresh = tree.CachedApproximateDataSize;

        tree.Create("/ab", zxid: 1, data: new byte[10]);
        Assert.That(tree.CachedApproximateDataSize, Is.EqualTo(fresh + 3 + 10));
        tree.SetData("/ab", new byte[4], zxid: 2);
        Assert.That(tree.CachedApproximateDataSize, Is.EqualTo(fresh + 3 + 4));
        Assert.That(tree.ApproximateDataSize(), Is.EqualTo(tree.CachedApproximateDataSize));
        tree.Delete("/ab", zxid: 3);
        Assert.That(tree.CachedApproximateDataSize, Is.EqualTo(fresh));
    }
}
