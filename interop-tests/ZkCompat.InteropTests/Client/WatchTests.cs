using NUnit.Framework;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.InteropTests.Client;

/// <summary>One-shot, persistent and recursive watches, checkWatches/removeWatches and setWatches.</summary>
[TestFixture]
public class WatchTests : ClientTestBase
{
    public enum WatchCall { Exists, GetData, GetChildren, GetChildren2 }

    public enum Change { CreateNode, SetData, DeleteNode, CreateChild }

    /// <summary>(call that sets the watch, node exists first?, change, event expected, on the node or its child?).</summary>
    private static readonly object[][] OneShotRows =
    [
        [WatchCall.Exists, false, Change.CreateNode, EventType.NodeCreated],
        [WatchCall.Exists, true, Change.SetData, EventType.NodeDataChanged],
        [WatchCall.Exists, true, Change.DeleteNode, EventType.NodeDeleted],
        [WatchCall.GetData, true, Change.SetData, EventType.NodeDataChanged],
        [WatchCall.GetData, true, Change.DeleteNode, EventType.NodeDeleted],
        [WatchCall.GetChildren, true, Change.CreateChild, EventType.NodeChildrenChanged],
        [WatchCall.GetChildren, true, Change.DeleteNode, EventType.NodeDeleted],
        [WatchCall.GetChildren2, true, Change.CreateChild, EventType.NodeChildrenChanged],
    ];

    private static IEnumerable<TestCaseData> OneShotCases() =>
        from kind in new[] { ServerKind.Java, ServerKind.ZkCompat }
        from row in OneShotRows
        select new TestCaseData([kind, .. row]);

    [TestCaseSource(nameof(OneShotCases))]
    public async Task OneShotWatch_FiresOnce(ServerKind kind, WatchCall call, bool exists, Change change, EventType expected)
    {
        var zk = await ConnectAsync(kind);
        string path = UniquePath();
        if (exists) await zk.CreateAsync(path, null, Acls.OpenAclUnsafe);

        switch (call)
        {
            case WatchCall.Exists: await zk.ExistsAsync(path, watch: true); break;
            case WatchCall.GetData: await zk.GetDataAsync(path, watch: true); break;
            case WatchCall.GetChildren: await zk.GetChildrenAsync(path, watch: true); break;
            case WatchCall.GetChildren2: await zk.GetChildren2Async(path, watch: true); break;
        }
        await ApplyAsync(zk, path, change);
        // Apply the change again where possible: a one-shot watch must not fire a second time.
        if (change == Change.SetData) await zk.SetDataAsync(path, Bytes("again"));
        if (change == Change.CreateChild) await zk.CreateAsync(path + "/second", null, Acls.OpenAclUnsafe);
        string marker = await MarkerAsync(zk);

        Assert.That(await NextEventAsync(zk), Is.EqualTo(Event(expected, path)));
        Assert.That(await NextEventAsync(zk), Is.EqualTo(Event(EventType.NodeCreated, marker)), "no second event");
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Watch_OnMissingNode_OnlyExistsRegisters(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = UniquePath();

        Assert.That(await ErrorOf(() => zk.GetDataAsync(path, watch: true)), Is.EqualTo(ErrorCode.NoNode));
        Assert.That(await ErrorOf(() => zk.GetChildrenAsync(path, watch: true)), Is.EqualTo(ErrorCode.NoNode));
        await zk.CreateAsync(path, null, Acls.OpenAclUnsafe);
        string marker = await MarkerAsync(zk);

        Assert.That(await NextEventAsync(zk), Is.EqualTo(Event(EventType.NodeCreated, marker)));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task Watch_FiresForChangesByAnotherClient(ServerKind kind)
    {
        var watcher = await ConnectAsync(kind);
        var writer = await ConnectAsync(kind);
        string path = await writer.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        await watcher.GetDataAsync(path, watch: true);
        await watcher.GetChildrenAsync(path, watch: true);

        await writer.CreateAsync(path + "/c", null, Acls.OpenAclUnsafe);
        await writer.SetDataAsync(path, Bytes("x"));

        Assert.That(await NextEventAsync(watcher), Is.EqualTo(Event(EventType.NodeChildrenChanged, path)));
        Assert.That(await NextEventAsync(watcher), Is.EqualTo(Event(EventType.NodeDataChanged, path)));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task PersistentWatch_FiresRepeatedly_ForTheNodeAndItsChildList(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        await zk.AddWatchAsync(path, AddWatchMode.Persistent);

        await zk.CreateAsync(path + "/a", null, Acls.OpenAclUnsafe);
        await zk.SetDataAsync(path, Bytes("1"));
        await zk.SetDataAsync(path, Bytes("2"));
        await zk.CreateAsync(path + "/a/deeper", null, Acls.OpenAclUnsafe); // not watched
        await zk.SetDataAsync(path + "/a", Bytes("x"));                     // not watched
        await zk.DeleteAsync(path + "/a/deeper");
        await zk.DeleteAsync(path + "/a");
        await zk.DeleteAsync(path);
        string marker = await MarkerAsync(zk);

        WatcherEvent[] expected =
        [
            Event(EventType.NodeChildrenChanged, path),
            Event(EventType.NodeDataChanged, path),
            Event(EventType.NodeDataChanged, path),
            Event(EventType.NodeChildrenChanged, path),
            Event(EventType.NodeDeleted, path),
            Event(EventType.NodeCreated, marker),
        ];
        foreach (var e in expected) Assert.That(await NextEventAsync(zk), Is.EqualTo(e));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task RecursiveWatch_FiresForDescendants_ButNotChildListChanges(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        await zk.AddWatchAsync(path, AddWatchMode.PersistentRecursive);

        await zk.CreateAsync(path + "/a", null, Acls.OpenAclUnsafe);
        await zk.CreateAsync(path + "/a/b", null, Acls.OpenAclUnsafe);
        await zk.SetDataAsync(path + "/a/b", Bytes("x"));
        await zk.SetDataAsync(path + "/a/b", Bytes("y"));
        await zk.DeleteAsync(path + "/a/b");
        await zk.SetDataAsync(path, Bytes("root"));
        string marker = await MarkerAsync(zk);

        WatcherEvent[] expected =
        [
            Event(EventType.NodeCreated, path + "/a"),
            Event(EventType.NodeCreated, path + "/a/b"),
            Event(EventType.NodeDataChanged, path + "/a/b"),
            Event(EventType.NodeDataChanged, path + "/a/b"),
            Event(EventType.NodeDeleted, path + "/a/b"),
            Event(EventType.NodeDataChanged, path),
            Event(EventType.NodeCreated, marker),
        ];
        foreach (var e in expected) Assert.That(await NextEventAsync(zk), Is.EqualTo(e));
    }

    [TestCase(ServerKind.Java)]
    [TestCase(ServerKind.ZkCompat)]
    public async Task CheckAndRemoveWatches(ServerKind kind)
    {
        var zk = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        await zk.GetDataAsync(path, watch: true);

        await zk.CheckWatchesAsync(path, WatcherType.Data);
        await zk.CheckWatchesAsync(path, WatcherType.Any);
        Assert.That(await ErrorOf(() => zk.CheckWatchesAsync(path, WatcherType.Children)), Is.EqualTo(ErrorCode.NoWatcher));

        await zk.RemoveWatchesAsync(path, WatcherType.Data);

        Assert.That(await ErrorOf(() => zk.CheckWatchesAsync(path, WatcherType.Data)), Is.EqualTo(ErrorCode.NoWatcher));
        Assert.That(await ErrorOf(() => zk.RemoveWatchesAsync(path, WatcherType.Data)), Is.EqualTo(ErrorCode.NoWatcher));
        await zk.SetDataAsync(path, Bytes("no event"));
        string marker = await MarkerAsync(zk);
        Assert.That(await NextEventAsync(zk), Is.EqualTo(Event(EventType.NodeCreated, marker)), "the removed watch stays silent");
    }

    public enum Before { Nothing, SetData, AddChild, Delete }

    /// <summary>
    /// setWatches against relativeZxid (taken after the node was created), per list: (list, what
    /// changed since, event fired at once or null = registered, then fires on the next change).
    /// </summary>
    private static readonly object?[][] SetWatchesRows =
    [
        ["data", Before.Nothing, null],
        ["data", Before.SetData, EventType.NodeDataChanged],
        ["data", Before.Delete, EventType.NodeDeleted],
        ["exist", Before.Nothing, EventType.NodeCreated],
        ["exist", Before.Delete, null],
        ["child", Before.Nothing, null],
        ["child", Before.AddChild, EventType.NodeChildrenChanged],
        ["child", Before.Delete, EventType.NodeDeleted],
        ["persistent", Before.SetData, null],
        ["persistentRecursive", Before.SetData, null],
    ];

    private static IEnumerable<TestCaseData> SetWatchesCases() =>
        from kind in new[] { ServerKind.Java, ServerKind.ZkCompat }
        from row in SetWatchesRows
        select new TestCaseData([kind, .. row]);

    [TestCaseSource(nameof(SetWatchesCases))]
    public async Task SetWatches_FiresWhatWasMissed_RegistersTheRest(ServerKind kind, string list, Before before, EventType? immediate)
    {
        var zk = await ConnectAsync(kind);
        var other = await ConnectAsync(kind);
        string path = await zk.CreateAsync(UniquePath(), null, Acls.OpenAclUnsafe);
        long relativeZxid = zk.LastZxid;
        switch (before)
        {
            case Before.SetData: await other.SetDataAsync(path, Bytes("missed")); break;
            case Before.AddChild: await other.CreateAsync(path + "/missed", null, Acls.OpenAclUnsafe); break;
            case Before.Delete: await other.DeleteAsync(path); break;
        }
        string[] one = [path];

        await zk.SetWatchesAsync(relativeZxid,
            data: list == "data" ? one : [], exist: list == "exist" ? one : [], child: list == "child" ? one : [],
            persistent: list == "persistent" ? one : null, persistentRecursive: list == "persistentRecursive" ? one : null);

        if (immediate is { } fired)
        {
            Assert.That(await NextEventAsync(zk), Is.EqualTo(Event(fired, path)));
            return;
        }
        // Registered: the next matching change fires it.
        EventType next;
        if (before == Before.Delete)
        {
            await other.CreateAsync(path, null, Acls.OpenAclUnsafe);
            next = EventType.NodeCreated;
        }
        else if (list == "child")
        {
            await other.CreateAsync(path + "/later", null, Acls.OpenAclUnsafe);
            next = EventType.NodeChildrenChanged;
        }
        else
        {
            await other.SetDataAsync(path, Bytes("later"));
            next = EventType.NodeDataChanged;
        }
        Assert.That(await NextEventAsync(zk), Is.EqualTo(Event(next, path)));
    }

    private static async Task ApplyAsync(ZooKeeperClient zk, string path, Change change)
    {
        switch (change)
        {
            case Change.CreateNode: await zk.CreateAsync(path, null, Acls.OpenAclUnsafe); break;
            case Change.SetData: await zk.SetDataAsync(path, Bytes("changed")); break;
            case Change.DeleteNode: await zk.DeleteAsync(path); break;
            case Change.CreateChild: await zk.CreateAsync(path + "/child", null, Acls.OpenAclUnsafe); break;
        }
    }

    /// <summary>Sets an exists watch on a fresh path and creates it: its event proves nothing else came before.</summary>
    private static async Task<string> MarkerAsync(ZooKeeperClient zk)
    {
        string marker = UniquePath() + "-marker";
        await zk.ExistsAsync(marker, watch: true);
        await zk.CreateAsync(marker, null, Acls.OpenAclUnsafe);
        return marker;
    }
}
