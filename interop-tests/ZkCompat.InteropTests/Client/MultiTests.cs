using NUnit.Framework;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Client;

/// <summary>multi (14) and multiRead (22).</summary>
[TestFixture]
public class MultiTests : ClientTestBase
{
    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Multi_Success_ResultPerOp_OneZxid(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string root = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(root + "/old", null, Acls.OpenAclUnsafe);

        var results = await zk.MultiAsync(
        [
            new Op.Create(root + "/a", Bytes("a"), Acls.OpenAclUnsafe),
            new Op.Create(root + "/seq-", null, Acls.OpenAclUnsafe, CreateMode.PersistentSequential),
            new Op.SetData(root + "/a", Bytes("a2"), Version: 0),
            new Op.Check(root + "/a", 1),
            new Op.Delete(root + "/old", 0),
        ]);
        long zxid = zk.LastZxid;

        // 3.8.0's create in a multi answers with type 1 (path only, no Stat).
        Assert.That(results, Has.Count.EqualTo(5));
        Assert.That(results[0], Is.EqualTo(new OpResult.CreateResult(root + "/a")));
        Assert.That(results[1], Is.EqualTo(new OpResult.CreateResult(root + "/seq-0000000002")));
        Assert.That(results[2], Is.TypeOf<OpResult.SetDataResult>());
        var setStat = ((OpResult.SetDataResult)results[2]).Stat;
        Assert.That(setStat.Version, Is.EqualTo(1));
        Assert.That(setStat.Mzxid, Is.EqualTo(zxid));
        Assert.That(results[3], Is.EqualTo(new OpResult.CheckResult()));
        Assert.That(results[4], Is.EqualTo(new OpResult.DeleteResult()));

        // Every sub-op carries the multi's single zxid.
        var (_, a) = await zk.GetDataAsync(root + "/a");
        var seq = await zk.ExistsAsync(root + "/seq-0000000002");
        Assert.That(a.Czxid, Is.EqualTo(zxid));
        Assert.That(seq!.Czxid, Is.EqualTo(zxid));
        Assert.That(await zk.ExistsAsync(root + "/old"), Is.Null);
    }

    /// <summary>(index of the failing op, how it fails, its code).</summary>
    private static readonly object[][] FailureRows =
    [
        [0, "check-version", ErrorCode.BadVersion],
        [1, "create-exists", ErrorCode.NodeExists],
        [2, "delete-missing", ErrorCode.NoNode],
        [1, "set-version", ErrorCode.BadVersion],
        [2, "create-no-parent", ErrorCode.NoNode],
    ];

    private static IEnumerable<TestCaseData> FailureCases() =>
        from kind in new[] { ServerKind.Java, ServerKind.ZkCompat }
        from row in FailureRows
        select new TestCaseData([kind, .. row]);

    [TestCaseSource(nameof(FailureCases))]
    public async Task Multi_AtomicFailure_EveryResultIsAnError_NothingApplied(ServerKind kind, int failingIndex, string failure, ErrorCode code)
    {
        var zk = await ConnectAsync(kind);
        string root = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(root + "/existing", null, Acls.OpenAclUnsafe);
        Op failing = failure switch
        {
            "check-version" => new Op.Check(root + "/existing", 7),
            "create-exists" => new Op.Create(root + "/existing", null, Acls.OpenAclUnsafe),
            "delete-missing" => new Op.Delete(root + "/missing"),
            "set-version" => new Op.SetData(root + "/existing", Bytes("x"), 3),
            "create-no-parent" => new Op.Create(root + "/missing/child", null, Acls.OpenAclUnsafe),
            _ => throw new ArgumentOutOfRangeException(nameof(failure)),
        };
        var ops = new List<Op>
        {
            new Op.Create(root + "/n0", null, Acls.OpenAclUnsafe),
            new Op.SetData(root + "/existing", Bytes("changed")),
            new Op.Create(root + "/n2", null, Acls.OpenAclUnsafe),
        };
        ops[failingIndex] = failing;

        var results = await zk.MultiAsync(ops);

        // Java: 0 for the ops before the failing one, its code, RUNTIMEINCONSISTENCY after it.
        var expected = Enumerable.Range(0, ops.Count).Select(i => (OpResult)new OpResult.ErrorResult(
            i < failingIndex ? ErrorCode.Ok : i == failingIndex ? code : ErrorCode.RuntimeInconsistency));
        Assert.That(results, Is.EqualTo(expected));
        Assert.That(await zk.ExistsAsync(root + "/n0"), Is.Null);
        Assert.That(await zk.ExistsAsync(root + "/n2"), Is.Null);
        Assert.That((await zk.GetDataAsync(root + "/existing")).Stat.Version, Is.Zero);
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task MultiRead_EachOpSucceedsOrFailsOnItsOwn(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string root = await zk.CreateAsync(UniquePath(), Bytes("root"), Acls.OpenAclUnsafe);
        await zk.CreateAsync(root + "/x", null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(root + "/y", null, Acls.OpenAclUnsafe);
        var rootStat = await zk.ExistsAsync(root);

        var results = await zk.MultiReadAsync(
        [
            new Op.GetData(root),
            new Op.GetChildren(root + "/missing"),
            new Op.GetChildren(root),
            new Op.GetData(root + "/missing"),
        ]);

        Assert.That(results, Has.Count.EqualTo(4));
        var data = (OpResult.GetDataResult)results[0];
        Assert.That(data.Data, Is.EqualTo(Bytes("root")));
        Assert.That(data.Stat, Is.EqualTo(rootStat));
        Assert.That(results[1], Is.EqualTo(new OpResult.ErrorResult(ErrorCode.NoNode)));
        Assert.That(((OpResult.GetChildrenResult)results[2]).Children, Is.EquivalentTo(new[] { "x", "y" }));
        Assert.That(results[3], Is.EqualTo(new OpResult.ErrorResult(ErrorCode.NoNode)));
    }
}
