using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Txn;
using ZkCompat.Server.Data;
using ZkCompat.Server.Tests.Watches;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

/// <summary>The multi case of DataTree.processTxn.</summary>
[TestFixture]
public class DataTreeMultiTests
{
    private static ProcessTxnResult Multi(DataTree tree, long zxid, params Txn[] txns) =>
        tree.ProcessTxn(Header(OpCode.Multi, zxid, session: 0x42, cxid: 3), new MultiTxn { Txns = [.. txns] });

    [Test]
    public void Successful_multi_applies_every_sub_txn_at_one_zxid()
    {
        var tree = new DataTree();

        var rc = Multi(tree, 50,
            Sub(OpCode.Create, new CreateTxn { Path = "/m", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 }),
            Sub(OpCode.Create, new CreateTxn { Path = "/m/a", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 }),
            Sub(OpCode.SetData, new SetDataTxn { Path = "/m", Data = [7], Version = 1 }),
            Sub(OpCode.Check, new CheckVersionTxn { Path = "/m", Version = 2 }),
            Sub(OpCode.Delete, new DeleteTxn { Path = "/m/a" }));

        Assert.That(rc.Err, Is.Zero);
        Assert.That(rc.Type, Is.EqualTo((int)OpCode.Multi));
        Assert.That(rc.MultiResult!.Select(r => (r.Type, r.Err, r.Path)), Is.EqualTo(new[]
        {
            (1, 0, "/m"), (1, 0, "/m/a"), (5, 0, "/m"), (13, 0, "/m"), (2, 0, "/m/a"),
        }));
        Assert.That(rc.MultiResult!.Select(r => (r.Zxid, r.ClientId, r.Cxid)), Is.All.EqualTo((50L, 0x42L, 3)));
        Assert.That(rc.MultiResult![2].Stat!.Version, Is.EqualTo(1));

        var stat = tree.StatOf("/m");
        Assert.That((stat.Czxid, stat.Mzxid, stat.Pzxid, stat.Version, stat.Cversion), Is.EqualTo((50L, 50L, 50L, 1, 2)));
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(50));
    }

    [Test]
    public void Rejected_multi_changes_nothing_and_reports_0_then_the_code_then_minus_2()
    {
        var tree = new DataTree();
        var watcher = new RecordingWatcher();
        tree.StatNode("/f", watcher);

        // As prep logs it: ops before the failure keep their bodies, the failing one and later are errors.
        var rc = Multi(tree, 60,
            Sub(OpCode.Create, new CreateTxn { Path = "/f", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 }),
            Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.NoNode }),
            Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.RuntimeInconsistency }));

        Assert.That(rc.Err, Is.EqualTo((int)ErrorCode.NoNode));
        Assert.That(rc.MultiResult!.Select(r => (r.Type, r.Err)), Is.EqualTo(new[]
        {
            (-1, 0), (-1, (int)ErrorCode.NoNode), (-1, (int)ErrorCode.RuntimeInconsistency),
        }));
        Assert.That(tree.GetNode("/f"), Is.Null);
        Assert.That(watcher.Events, Is.Empty);
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(60));
    }

    [Test]
    public void Non_error_sub_txns_after_the_error_become_minus_2()
    {
        var tree = new DataTree();
        var create = new CreateTxn { Path = "/g", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 };

        var rc = Multi(tree, 61,
            Sub(OpCode.Error, new ErrorTxn { Err = (int)ErrorCode.BadVersion }),
            Sub(OpCode.Create, create));

        Assert.That(rc.MultiResult!.Select(r => r.Err), Is.EqualTo(new[] { (int)ErrorCode.BadVersion, (int)ErrorCode.RuntimeInconsistency }));
        Assert.That(tree.GetNode("/g"), Is.Null);
    }

    [Test]
    public void A_failing_sub_txn_of_an_accepted_multi_gives_the_multi_its_error()
    {
        // Cannot come from prep, but replay of a fuzzy snapshot can meet it.
        var tree = new DataTree();
        tree.Create("/dup", zxid: 1);

        var rc = Multi(tree, 70,
            Sub(OpCode.Create, new CreateTxn { Path = "/dup", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 2 }),
            Sub(OpCode.Create, new CreateTxn { Path = "/new", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 3 }));

        Assert.That(rc.Err, Is.EqualTo((int)ErrorCode.NodeExists));
        Assert.That(rc.MultiResult!.Select(r => r.Err), Is.EqualTo(new[] { (int)ErrorCode.NodeExists, 0 }));
        Assert.That(tree.GetNode("/new"), Is.Not.Null);
    }

    [TestCase(OpCode.CreateContainer)]
    [TestCase(OpCode.Create2)]
    public void Stat_returning_creates_inside_a_multi_return_the_stat(OpCode type)
    {
        var tree = new DataTree();
        var body = type == OpCode.CreateContainer
            ? (ZkCompat.Jute.IJuteRecord)new CreateContainerTxn { Path = "/c", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 }
            : new CreateTxn { Path = "/c", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 };

        var rc = Multi(tree, 80, Sub(type, body));

        Assert.That(rc.MultiResult![0].Type, Is.EqualTo((int)type));
        Assert.That(rc.MultiResult![0].Stat, Is.EqualTo(tree.StatOf("/c")));
    }

    [Test]
    public void Empty_multi_has_no_results_and_consumes_the_zxid()
    {
        var tree = new DataTree();

        var rc = Multi(tree, 90);

        Assert.That(rc.Err, Is.Zero);
        Assert.That(rc.MultiResult, Is.Empty);
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(90));
    }

    [Test]
    public void An_invalid_sub_txn_type_stops_the_multi_where_it_is()
    {
        var tree = new DataTree();

        var rc = Multi(tree, 91,
            Sub(OpCode.Create, new CreateTxn { Path = "/ok", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 }),
            Sub(OpCode.SetAcl, new SetACLTxn { Path = "/ok", Acl = [], Version = 1 }),
            Sub(OpCode.Delete, new DeleteTxn { Path = "/ok" }));

        Assert.That(rc.MultiResult, Has.Count.EqualTo(1));
        Assert.That(tree.GetNode("/ok"), Is.Not.Null);
        Assert.That(tree.LastProcessedZxid, Is.EqualTo(91));
    }

    [Test]
    public void Watches_fire_for_each_applied_sub_txn()
    {
        var tree = new DataTree();
        var watcher = new RecordingWatcher();
        tree.StatNode("/w", watcher);
        tree.GetChildren("/", null, watcher);

        Multi(tree, 100,
            Sub(OpCode.Create, new CreateTxn { Path = "/w", Data = [], Acl = WellKnownAcls.OpenAclUnsafe(), ParentCVersion = 1 }));

        Assert.That(watcher.Seen, Is.EqualTo(new[] { (EventType.NodeCreated, "/w"), (EventType.NodeChildrenChanged, "/") }));
    }
}
