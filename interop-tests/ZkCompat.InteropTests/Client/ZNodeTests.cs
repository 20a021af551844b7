using NUnit.Framework;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Client;

/// <summary>create / get / set / delete / children / ACL calls and the Stat they report.</summary>
[TestFixture]
public class ZNodeTests : ClientTestBase
{
    private static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    [TestCase(ServerKind.Java, CreateMode.Persistent)]
    [TestCase(ServerKind.Java, CreateMode.Ephemeral)]
    [TestCase(ServerKind.Java, CreateMode.Container)]
    [TestCase(ServerKind.Java, CreateMode.PersistentWithTtl)]
    [TestCase(ServerKind.ZkCompat, CreateMode.Persistent)]
    [TestCase(ServerKind.ZkCompat, CreateMode.Ephemeral)]
    [TestCase(ServerKind.ZkCompat, CreateMode.Container)]
    [TestCase(ServerKind.ZkCompat, CreateMode.PersistentWithTtl)]
    public async Task Create2_ReportsTheNewNodesStat(ServerKind kind, CreateMode mode)
    {
        var zk = await ConnectAsync(kind);
        string path = UniquePath();
        long before = zk.LastZxid;
        long startMs = NowMs;

        var (created, stat) = await zk.Create2Async(path, Bytes("abc"), Acls.OpenAclUnsafe, mode, ttl: mode.IsTtl() ? 60_000 : -1);

        Assert.That(created, Is.EqualTo(path));
        Assert.Multiple(() =>
        {
            Assert.That(stat.Czxid, Is.GreaterThan(before));
            Assert.That(stat.Mzxid, Is.EqualTo(stat.Czxid));
            Assert.That(stat.Pzxid, Is.EqualTo(stat.Czxid));
            Assert.That(stat.Ctime, Is.InRange(startMs - 60_000, NowMs + 60_000), "server wall clock, ms since the epoch");
            Assert.That(stat.Mtime, Is.EqualTo(stat.Ctime));
            Assert.That(stat.Version, Is.Zero);
            Assert.That(stat.Cversion, Is.Zero);
            Assert.That(stat.Aversion, Is.Zero);
            // Containers and TTL nodes encode their kind in the stored owner but report 0.
            Assert.That(stat.EphemeralOwner, Is.EqualTo(mode == CreateMode.Ephemeral ? zk.SessionId : 0));
            Assert.That(stat.DataLength, Is.EqualTo(3));
            Assert.That(stat.NumChildren, Is.Zero);
        });
        var (data, read) = await zk.GetDataAsync(path);
        Assert.That(data, Is.EqualTo(Bytes("abc")));
        Assert.That(read, Is.EqualTo(stat));
    }

    [TestCase(ServerKind.Java, CreateMode.Persistent)]
    [TestCase(ServerKind.Java, CreateMode.Container)]
    [TestCase(ServerKind.Java, CreateMode.PersistentWithTtl)]
    [TestCase(ServerKind.ZkCompat, CreateMode.Persistent)]
    [TestCase(ServerKind.ZkCompat, CreateMode.Container)]
    [TestCase(ServerKind.ZkCompat, CreateMode.PersistentWithTtl)]
    public async Task Create_ReturnsThePath(ServerKind kind, CreateMode mode)
    {
        var zk = await ConnectAsync(kind);
        string path = UniquePath();

        Assert.That(await zk.CreateAsync(path, null, Acls.OpenAclUnsafe, mode, ttl: mode.IsTtl() ? 1000 : -1), Is.EqualTo(path));
        Assert.That(await zk.ExistsAsync(path), Is.Not.Null);
    }

    [TestCase(ServerKind.Java, CreateMode.PersistentWithTtl, 0L, ErrorCode.BadArguments)]
    [TestCase(ServerKind.Java, CreateMode.PersistentWithTtl, 0x10000000000L, ErrorCode.BadArguments)]
    [TestCase(ServerKind.Java, CreateMode.PersistentSequentialWithTtl, -5L, ErrorCode.BadArguments)]
    [TestCase(ServerKind.ZkCompat, CreateMode.PersistentWithTtl, 0L, ErrorCode.BadArguments)]
    [TestCase(ServerKind.ZkCompat, CreateMode.PersistentWithTtl, 0x10000000000L, ErrorCode.BadArguments)]
    [TestCase(ServerKind.ZkCompat, CreateMode.PersistentSequentialWithTtl, -5L, ErrorCode.BadArguments)]
    public async Task CreateTtl_OutOfRange_Fails(ServerKind kind, CreateMode mode, long ttl, ErrorCode expected)
    {
        var zk = await ConnectAsync(kind);

        Assert.That(await ErrorOf(() => zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe, mode, ttl)), Is.EqualTo(expected));
    }

    [TestCase(ServerKind.Java, null)]
    [TestCase(ServerKind.Java, new byte[0])]
    [TestCase(ServerKind.Java, new byte[] { 0, 1, 255 })]
    [TestCase(ServerKind.ZkCompat, null)]
    [TestCase(ServerKind.ZkCompat, new byte[0])]
    [TestCase(ServerKind.ZkCompat, new byte[] { 0, 1, 255 })]
    public async Task GetData_ReturnsTheBytesStored(ServerKind kind, byte[]? stored)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), stored, Acls.OpenAclUnsafe);

        var (data, stat) = await zk.GetDataAsync(path);

        Assert.That(data, Is.EqualTo(stored));
        Assert.That(stat.DataLength, Is.EqualTo(stored?.Length ?? 0));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task SetData_BumpsVersionAndMzxid_ChecksVersion(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        var (path, created) = await zk.Create2Async(UniquePath(), Bytes("v0"), Acls.OpenAclUnsafe);

        var first = await zk.SetDataAsync(path, Bytes("version one"), version: 0);
        var second = await zk.SetDataAsync(path, Bytes("v2"), version: -1);

        Assert.Multiple(() =>
        {
            Assert.That(first.Version, Is.EqualTo(1));
            Assert.That(first.Czxid, Is.EqualTo(created.Czxid));
            Assert.That(first.Mzxid, Is.GreaterThan(created.Mzxid));
            Assert.That(first.Ctime, Is.EqualTo(created.Ctime));
            Assert.That(first.Mtime, Is.GreaterThanOrEqualTo(created.Mtime));
            Assert.That(first.DataLength, Is.EqualTo(11));
            Assert.That(first.Pzxid, Is.EqualTo(created.Pzxid), "setData leaves pzxid alone");
            Assert.That(second.Version, Is.EqualTo(2));
            Assert.That(second.Mzxid, Is.GreaterThan(first.Mzxid));
            Assert.That(second.Mzxid, Is.EqualTo(zk.LastZxid), "the reply carried the write's zxid");
        });
        var e = Assert.ThrowsAsync<KeeperException>(() => zk.SetDataAsync(path, null, version: 1));
        Assert.That(e!.Code, Is.EqualTo(ErrorCode.BadVersion));
        Assert.That(e.Path, Is.EqualTo(path));
        Assert.That(await ErrorOf(() => zk.SetDataAsync(path + "/missing", null)), Is.EqualTo(ErrorCode.NoNode));
    }

    [TestCase(ServerKind.Java, CreateMode.PersistentSequential)]
    [TestCase(ServerKind.Java, CreateMode.EphemeralSequential)]
    [TestCase(ServerKind.ZkCompat, CreateMode.PersistentSequential)]
    [TestCase(ServerKind.ZkCompat, CreateMode.EphemeralSequential)]
    public async Task Sequential_NamesCountEveryChildCreate(ServerKind kind, CreateMode mode)
    {
        var zk = await ConnectAsync(kind);
        string parent = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);

        string a = await zk.CreateAsync(parent + "/job-", null, Acls.OpenAclUnsafe, mode);
        await zk.CreateAsync(parent + "/plain", null, Acls.OpenAclUnsafe);
        await zk.DeleteAsync(a);
        string b = await zk.CreateAsync(parent + "/job-", null, Acls.OpenAclUnsafe, mode);
        string c = await zk.CreateAsync(parent + "/", null, Acls.OpenAclUnsafe, mode);

        // The suffix is the parent's count of child creates so far (deletes do not count), %010d.
        Assert.That(a, Is.EqualTo(parent + "/job-0000000000"));
        Assert.That(b, Is.EqualTo(parent + "/job-0000000002"));
        Assert.That(c, Is.EqualTo(parent + "/0000000003"));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task ParentStat_CountsCreatesAndDeletes(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        var (parent, created) = await zk.Create2Async(UniquePath(), null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(parent + "/a", null, Acls.OpenAclUnsafe);
        var (_, b) = await zk.Create2Async(parent + "/b", null, Acls.OpenAclUnsafe);
        await zk.DeleteAsync(parent + "/a");
        long deleteZxid = zk.LastZxid;

        var stat = await zk.ExistsAsync(parent);

        Assert.Multiple(() =>
        {
            Assert.That(stat!.Cversion, Is.EqualTo(3), "2 creates + 1 delete");
            Assert.That(stat.NumChildren, Is.EqualTo(1));
            Assert.That(stat.Pzxid, Is.EqualTo(deleteZxid));
            Assert.That(stat.Mzxid, Is.EqualTo(created.Mzxid), "child changes do not touch mzxid");
            Assert.That(stat.Version, Is.Zero);
            Assert.That(b.Czxid, Is.GreaterThan(created.Czxid));
        });
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Create_Errors(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        string ephemeral = await zk.CreateAsync(path + "/e", null, Acls.OpenAclUnsafe, CreateMode.Ephemeral);

        await Assert.MultipleAsync(async () =>
        {
            Assert.That(await ErrorOf(() => zk.CreateAsync(path, null, Acls.OpenAclUnsafe)), Is.EqualTo(ErrorCode.NodeExists));
            Assert.That(await ErrorOf(() => zk.CreateAsync(path + "/no/child", null, Acls.OpenAclUnsafe)), Is.EqualTo(ErrorCode.NoNode));
            Assert.That(await ErrorOf(() => zk.CreateAsync(ephemeral + "/x", null, Acls.OpenAclUnsafe)), Is.EqualTo(ErrorCode.NoChildrenForEphemerals));
            Assert.That(await ErrorOf(() => zk.CreateAsync(path + "/empty-acl", null, [])), Is.EqualTo(ErrorCode.InvalidAcl));
            Assert.That(await ErrorOf(() => zk.Create2Async(path, null, Acls.OpenAclUnsafe)), Is.EqualTo(ErrorCode.NodeExists));
        });
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Delete_ChecksVersionAndChildren(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string parent = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        string child = await zk.CreateAsync(parent + "/c", null, Acls.OpenAclUnsafe);
        await zk.SetDataAsync(child, Bytes("x"));

        Assert.That(await ErrorOf(() => zk.DeleteAsync(parent)), Is.EqualTo(ErrorCode.NotEmpty));
        Assert.That(await ErrorOf(() => zk.DeleteAsync(child, version: 0)), Is.EqualTo(ErrorCode.BadVersion));
        await zk.DeleteAsync(child, version: 1);
        Assert.That(await ErrorOf(() => zk.DeleteAsync(child)), Is.EqualTo(ErrorCode.NoNode));
        await zk.DeleteAsync(parent);
        Assert.That(await zk.ExistsAsync(parent), Is.Null);
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Children_ListsNamesAndCounts(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string parent = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        foreach (string name in new[] { "b", "a", "c" }) await zk.CreateAsync($"{parent}/{name}", null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(parent + "/a/x", null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(parent + "/a/x/y", null, Acls.OpenAclUnsafe);

        var children = await zk.GetChildrenAsync(parent);
        var (children2, stat) = await zk.GetChildren2Async(parent);

        // Java keeps children in a hash set: compare without order.
        Assert.That(children, Is.EquivalentTo(new[] { "a", "b", "c" }));
        Assert.That(children2, Is.EquivalentTo(new[] { "a", "b", "c" }));
        Assert.That(stat.NumChildren, Is.EqualTo(3));
        Assert.That(await zk.GetAllChildrenNumberAsync(parent), Is.EqualTo(5), "all descendants");
        Assert.That(await zk.GetAllChildrenNumberAsync(parent + "/a/x/y"), Is.Zero);
        Assert.That(await ErrorOf(() => zk.GetChildrenAsync(parent + "/nope")), Is.EqualTo(ErrorCode.NoNode));
        Assert.That(await ErrorOf(() => zk.GetAllChildrenNumberAsync(parent + "/nope")), Is.EqualTo(ErrorCode.NoNode));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Exists_MissingNodeIsNull(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);

        Assert.That(await zk.ExistsAsync(UniquePath()), Is.Null);
        Assert.That(await ErrorOf(() => zk.GetDataAsync(UniquePath())), Is.EqualTo(ErrorCode.NoNode));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task GetEphemerals_OnlyThisSessions_ByPrefix(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        var other = await ConnectAsync(kind);
        string root = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        string e1 = await zk.CreateAsync(root + "/e1", null, Acls.OpenAclUnsafe, CreateMode.Ephemeral);
        string s1 = await zk.CreateAsync(root + "/s-", null, Acls.OpenAclUnsafe, CreateMode.EphemeralSequential);
        string theirs = await other.CreateAsync(root + "/theirs", null, Acls.OpenAclUnsafe, CreateMode.Ephemeral);
        await zk.CreateAsync(root + "/persistent", null, Acls.OpenAclUnsafe);

        Assert.That(await zk.GetEphemeralsAsync(), Is.EquivalentTo(new[] { e1, s1 }));
        Assert.That(await zk.GetEphemeralsAsync(root + "/e"), Is.EquivalentTo(new[] { e1 }));
        Assert.That(await other.GetEphemeralsAsync("/"), Is.EquivalentTo(new[] { theirs }));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Acl_SetAndGet_EnforcedOnWrites(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);

        var (acl, before) = await zk.GetAclAsync(path);
        Assert.That(acl, Is.EqualTo(Acls.OpenAclUnsafe));
        Assert.That(before.Aversion, Is.Zero);

        var readOnly = new List<ACL> { new((int)(Perms.Read | Perms.Admin), new Id("world", "anyone")) };
        var stat = await zk.SetAclAsync(path, readOnly, version: 0);
        Assert.That(stat.Aversion, Is.EqualTo(1));
        Assert.That(stat.Mzxid, Is.EqualTo(before.Mzxid), "setACL does not touch mzxid");
        Assert.That((await zk.GetAclAsync(path)).Acl, Is.EqualTo(readOnly));

        Assert.That(await ErrorOf(() => zk.SetDataAsync(path, Bytes("x"))), Is.EqualTo(ErrorCode.NoAuth));
        Assert.That(await ErrorOf(() => zk.CreateAsync(path + "/c", null, Acls.OpenAclUnsafe)), Is.EqualTo(ErrorCode.NoAuth));
        Assert.That(await ErrorOf(() => zk.SetAclAsync(path, Acls.OpenAclUnsafe, version: 0)), Is.EqualTo(ErrorCode.BadVersion));
        Assert.That(await ErrorOf(() => zk.SetAclAsync(path, [])), Is.EqualTo(ErrorCode.InvalidAcl));
        Assert.That(await ErrorOf(() => zk.GetAclAsync(path + "/nope")), Is.EqualTo(ErrorCode.NoNode));
        Assert.That((await zk.GetDataAsync(path)).Stat.Aversion, Is.EqualTo(1));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Sync_Completes(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);

        await zk.SyncAsync(path);
        await zk.SyncAsync("/");

        Assert.That(await zk.ExistsAsync(path), Is.Not.Null);
    }
}
