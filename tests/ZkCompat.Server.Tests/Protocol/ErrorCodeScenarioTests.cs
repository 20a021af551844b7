using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Tests.Protocol;

/// <summary>
/// Table-driven: each case is a write against a small prepared tree and the error code Java 3.8
/// answers for it (protocol notes 2.8–2.12; observed against a stock server).
/// </summary>
public class ErrorCodeScenarioTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    public sealed record Case(string Name, Func<ZooKeeperClient, Task> Act, ErrorCode Expected)
    {
        public override string ToString() => Name;
    }

    public static IEnumerable<Case> Cases()
    {
        yield return new("create existing", c => c.CreateAsync("/p", null, Open), ErrorCode.NodeExists);
        yield return new("create relative path", c => c.CreateAsync("bad", null, Open), ErrorCode.BadArguments);
        yield return new("create with trailing slash, missing parent", c => c.CreateAsync("/bad/", null, Open), ErrorCode.NoNode);
        yield return new("create with trailing slash, parent exists", c => c.CreateAsync("/p/", null, Open), ErrorCode.BadArguments);
        // Java looks the parent ("/p/") up before validating the whole path.
        yield return new("create with double slash", c => c.CreateAsync("/p//x", null, Open), ErrorCode.NoNode);
        yield return new("create with double slash at the end", c => c.CreateAsync("/p//", null, Open), ErrorCode.NoNode);
        yield return new("create dot segment", c => c.CreateAsync("/p/.", null, Open), ErrorCode.BadArguments);
        yield return new("create control character", c => c.CreateAsync("/p/a\u0001", null, Open), ErrorCode.BadArguments);
        yield return new("create under missing parent", c => c.CreateAsync("/missing/x", null, Open), ErrorCode.NoNode);
        yield return new("create with empty ACL", c => c.CreateAsync("/q", null, []), ErrorCode.InvalidAcl);
        yield return new("create with bad digest ACL", c => c.CreateAsync("/q", null, [new ACL(31, new Id("digest", "nocolon"))]), ErrorCode.InvalidAcl);
        yield return new("create with unknown scheme", c => c.CreateAsync("/q", null, [new ACL(31, new Id("nope", "x"))]), ErrorCode.InvalidAcl);
        yield return new("create with auth ACL and no auth", c => c.CreateAsync("/q", null, [new ACL(31, new Id("auth", ""))]), ErrorCode.InvalidAcl);
        yield return new("create child of ephemeral", c => c.CreateAsync("/eph/x", null, Open), ErrorCode.NoChildrenForEphemerals);
        yield return new("TTL node without extended types", c => c.CreateAsync("/t", null, Open, CreateMode.PersistentWithTtl, 1000), ErrorCode.Unimplemented);
        yield return new("delete non-empty", c => c.DeleteAsync("/p"), ErrorCode.NotEmpty);
        yield return new("delete missing", c => c.DeleteAsync("/nothing"), ErrorCode.NoNode);
        yield return new("delete with bad version", c => c.DeleteAsync("/p/child", 5), ErrorCode.BadVersion);
        yield return new("delete root", c => c.DeleteAsync("/"), ErrorCode.BadArguments);
        yield return new("delete /zookeeper", c => c.DeleteAsync("/zookeeper"), ErrorCode.BadArguments);
        yield return new("delete /zookeeper/config", c => c.DeleteAsync("/zookeeper/config"), ErrorCode.BadArguments);
        yield return new("set with bad version", c => c.SetDataAsync("/p", [1], 7), ErrorCode.BadVersion);
        yield return new("set missing", c => c.SetDataAsync("/nothing", [1]), ErrorCode.NoNode);
        yield return new("set /zookeeper/config (read-only ACL)", c => c.SetDataAsync("/zookeeper/config", [1]), ErrorCode.NoAuth);
        yield return new("setACL with bad aversion", c => c.SetAclAsync("/p", Open, 3), ErrorCode.BadVersion);
        yield return new("get missing", c => c.GetDataAsync("/nothing"), ErrorCode.NoNode);
        yield return new("children of missing", c => c.GetChildrenAsync("/nothing"), ErrorCode.NoNode);
        yield return new("getACL of missing", c => c.GetAclAsync("/nothing"), ErrorCode.NoNode);
        yield return new("checkWatches without a watch", c => c.CheckWatchesAsync("/p", WatcherType.Data), ErrorCode.NoWatcher);
        yield return new("removeWatches without a watch", c => c.RemoveWatchesAsync("/p", WatcherType.Any), ErrorCode.NoWatcher);
        yield return new("reconfig disabled", c => c.SendRawAsync(OpCode.Reconfig, new ZkCompat.Protocol.Proto.ReconfigRequest(null, null, "server.1=x", -1))
            .ContinueWith(t => { if (t.Result.Header.Err != 0) throw new KeeperException((ErrorCode)t.Result.Header.Err); }), ErrorCode.ReconfigDisabled);
    }

    [TestCaseSource(nameof(Cases))]
    public async Task Write_gets_javas_error_code(Case scenario)
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/p", [1, 2], Open);
        await client.CreateAsync("/p/child", null, Open);
        await client.CreateAsync("/eph", null, Open, CreateMode.Ephemeral);

        var e = Assert.ThrowsAsync<KeeperException>(() => scenario.Act(client));
        Assert.That(e!.Code, Is.EqualTo(scenario.Expected));

        // A failed write consumes a zxid and the session goes on working.
        var stat = await client.ExistsAsync("/p");
        Assert.That(stat, Is.Not.Null);
    }

    [Test]
    public async Task Failed_writes_consume_a_zxid()
    {
        await using var server = InProcessServer.Start();
        await using var client = await server.ConnectAsync();
        var first = await client.Create2Async("/a", null, Open);
        Assert.ThrowsAsync<KeeperException>(() => client.CreateAsync("/a", null, Open));
        var second = await client.Create2Async("/b", null, Open);
        Assert.That(second.Stat.Czxid, Is.EqualTo(first.Stat.Czxid + 2));
    }
}
