using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Data;
using ZkCompat.Server.Tests.Watches;
using ZkCompat.Server.Watches;
using static ZkCompat.Server.Tests.Data.TreeTxns;

namespace ZkCompat.Server.Tests.Data;

/// <summary>Which watches the tree's changes fire, and watch registration through the tree.</summary>
[TestFixture]
public class DataTreeWatchTests
{
    [Test]
    public void Exists_watch_on_a_missing_node_fires_NodeCreated_once()
    {
        var tree = new DataTree();
        var w = new RecordingWatcher();

        Assert.That(tree.StatNode("/a", w), Is.Null);
        tree.Create("/a", zxid: 1);
        tree.Delete("/a", zxid: 2);
        tree.Create("/a", zxid: 3);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeCreated, "/a") }));
    }

    [Test]
    public void Data_watch_fires_NodeDataChanged_once()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        tree.GetData("/a", new Stat(), w);

        tree.SetData("/a", [1], zxid: 2);
        tree.SetData("/a", [2], zxid: 3);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeDataChanged, "/a") }));
    }

    [Test]
    public void Data_watch_fires_NodeDeleted_on_delete()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        tree.StatNode("/a", w);

        tree.Delete("/a", zxid: 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeDeleted, "/a") }));
    }

    [Test]
    public void Child_watch_fires_NodeChildrenChanged_for_a_child_create_and_a_child_delete()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        var w = new RecordingWatcher();

        tree.GetChildren("/p", null, w);
        tree.Create("/p/a", zxid: 2);
        tree.GetChildren("/p", null, w);
        tree.Delete("/p/a", zxid: 3);
        tree.SetData("/p", [1], zxid: 4);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeChildrenChanged, "/p"), (EventType.NodeChildrenChanged, "/p") }));
    }

    [Test]
    public void Child_watch_fires_NodeDeleted_when_the_node_itself_goes()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        var w = new RecordingWatcher();
        tree.GetChildren("/p", null, w);

        tree.Delete("/p", zxid: 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeDeleted, "/p") }));
    }

    [Test]
    public void Delete_tells_a_watcher_with_data_and_child_watches_once_and_clears_both()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        var childOnly = new RecordingWatcher("childOnly");
        tree.GetData("/a", new Stat(), w);
        tree.GetChildren("/a", null, w);
        tree.GetChildren("/a", null, childOnly);

        tree.Delete("/a", zxid: 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeDeleted, "/a") }));
        Assert.That(childOnly.Seen, Is.EqualTo(new[] { (EventType.NodeDeleted, "/a") }));
        Assert.That(tree.WatchCount, Is.Zero);
    }

    [Test]
    public void Create_fires_NodeCreated_on_the_path_and_NodeChildrenChanged_on_the_parent()
    {
        var tree = new DataTree();
        tree.Create("/p", zxid: 1);
        var w = new RecordingWatcher();
        tree.StatNode("/p/a", w);
        tree.GetChildren("/p", null, w);

        tree.Create("/p/a", zxid: 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeCreated, "/p/a"), (EventType.NodeChildrenChanged, "/p") }));
    }

    [Test]
    public void Top_level_changes_notify_root_child_watches_with_path_slash()
    {
        var tree = new DataTree();
        var w = new RecordingWatcher();
        tree.GetChildren("/", null, w);
        tree.Create("/x", zxid: 1);
        tree.GetChildren("/", null, w);
        tree.Delete("/x", zxid: 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeChildrenChanged, "/"), (EventType.NodeChildrenChanged, "/") }));
    }

    [Test]
    public void SetAcl_fires_nothing()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        tree.GetData("/a", new Stat(), w);
        tree.GetChildren("/a", null, w);

        tree.SetAcl("/a", [Acl(Perms.Read, "world", "anyone")], zxid: 2);

        Assert.That(w.Events, Is.Empty);
        Assert.That(tree.WatchCount, Is.EqualTo(2));
    }

    [Test]
    public void Reads_of_a_missing_node_register_nothing()
    {
        var tree = new DataTree();
        var w = new RecordingWatcher();

        Assert.Throws<KeeperException>(() => tree.GetData("/a", new Stat(), w));
        Assert.Throws<KeeperException>(() => tree.GetChildren("/a", null, w));

        Assert.That(tree.WatchCount, Is.Zero);
    }

    [Test]
    public void Persistent_watch_sees_its_node_and_child_list_and_stays()
    {
        var tree = new DataTree();
        var w = new RecordingWatcher();
        tree.AddWatch("/a", w, (int)AddWatchMode.Persistent);

        tree.Create("/a", zxid: 1);
        tree.SetData("/a", [1], zxid: 2);
        tree.Create("/a/b", zxid: 3);
        tree.SetData("/a/b", [1], zxid: 4);
        tree.Delete("/a/b", zxid: 5);
        tree.Delete("/a", zxid: 6);

        Assert.That(w.Seen, Is.EqualTo(new[]
        {
            (EventType.NodeCreated, "/a"),
            (EventType.NodeDataChanged, "/a"),
            (EventType.NodeChildrenChanged, "/a"),
            (EventType.NodeChildrenChanged, "/a"),
            (EventType.NodeDeleted, "/a"),
        }));
        Assert.That(tree.ContainsWatcher("/a", WatcherType.Any, w), Is.True);
    }

    [Test]
    public void Recursive_watch_sees_the_subtree_but_no_child_list_changes()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        tree.AddWatch("/a", w, (int)AddWatchMode.PersistentRecursive);

        tree.Create("/a/b", zxid: 2);
        tree.SetData("/a/b", [1], zxid: 3);
        tree.Create("/a/b/c", zxid: 4);
        tree.Delete("/a/b/c", zxid: 5);
        tree.Create("/other", zxid: 6);

        Assert.That(w.Seen, Is.EqualTo(new[]
        {
            (EventType.NodeCreated, "/a/b"),
            (EventType.NodeDataChanged, "/a/b"),
            (EventType.NodeCreated, "/a/b/c"),
            (EventType.NodeDeleted, "/a/b/c"),
        }));
    }

    [TestCase(2)]
    [TestCase(-1)]
    public void AddWatch_refuses_other_modes(int mode)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DataTree().AddWatch("/a", new RecordingWatcher(), mode));
    }

    // /n: created at zxid 10, child /n/c created at 20 (pzxid 20), data set at 30 (mzxid 30).
    [TestCase("data", "/missing", 0L, EventType.NodeDeleted)]
    [TestCase("data", "/n", 29L, EventType.NodeDataChanged)]
    [TestCase("data", "/n", 30L, null)]
    [TestCase("exist", "/n", 0L, EventType.NodeCreated)]
    [TestCase("exist", "/missing", 0L, null)]
    [TestCase("child", "/missing", 0L, EventType.NodeDeleted)]
    [TestCase("child", "/n", 19L, EventType.NodeChildrenChanged)]
    [TestCase("child", "/n", 20L, null)]
    [TestCase("child", "/n", 40L, null)]
    public void SetWatches_fires_what_was_missed_and_registers_the_rest(string kind, string path, long relativeZxid, EventType? fired)
    {
        var tree = new DataTree();
        tree.Create("/n", zxid: 10);
        tree.Create("/n/c", zxid: 20);
        tree.SetData("/n", [1], zxid: 30);
        var w = new RecordingWatcher();
        List<string?> list = [path];

        tree.SetWatches(relativeZxid, kind == "data" ? list : null, kind == "exist" ? list : null, kind == "child" ? list : null,
            null, null, w);

        Assert.That(w.Seen, fired is null ? Is.Empty : Is.EqualTo(new[] { (fired.Value, path) }));
        var type = kind == "child" ? WatcherType.Children : WatcherType.Data;
        Assert.That(tree.ContainsWatcher(path, type, w), Is.EqualTo(fired is null), "registered instead of fired");
        Assert.That(tree.WatchCount, Is.EqualTo(fired is null ? 1 : 0));
        Assert.That(w.Events.Select(e => e.State), Is.All.EqualTo((int)KeeperState.SyncConnected));
    }

    [Test]
    public void SetWatches_registers_persistent_and_recursive_watches_in_both_managers()
    {
        var tree = new DataTree();
        var w = new RecordingWatcher();

        tree.SetWatches(100, null, null, null, ["/p"], ["/r"], w);

        Assert.Multiple(() =>
        {
            Assert.That(tree.DataWatches.GetMode("/p", w), Is.EqualTo(WatcherMode.Persistent));
            Assert.That(tree.ChildWatches.GetMode("/p", w), Is.EqualTo(WatcherMode.Persistent));
            Assert.That(tree.DataWatches.GetMode("/r", w), Is.EqualTo(WatcherMode.PersistentRecursive));
            Assert.That(tree.ChildWatches.GetMode("/r", w), Is.EqualTo(WatcherMode.PersistentRecursive));
            Assert.That(w.Events, Is.Empty);
        });
    }

    [TestCase("data", WatcherType.Data, true)]
    [TestCase("data", WatcherType.Children, false)]
    [TestCase("data", WatcherType.Any, true)]
    [TestCase("exist", WatcherType.Data, true)]
    [TestCase("exist", WatcherType.Children, false)]
    [TestCase("child", WatcherType.Data, false)]
    [TestCase("child", WatcherType.Children, true)]
    [TestCase("child", WatcherType.Any, true)]
    [TestCase("persistent", WatcherType.Data, true)]
    [TestCase("persistent", WatcherType.Children, true)]
    [TestCase("persistent", WatcherType.Any, true)]
    [TestCase("recursive", WatcherType.Any, true)]
    public void ContainsWatcher_and_RemoveWatch_look_at_the_managers_of_the_type(string kind, WatcherType type, bool expected)
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        switch (kind)
        {
            case "data": tree.GetData("/a", new Stat(), w); break;
            case "exist": tree.StatNode("/a", w); break;
            case "child": tree.GetChildren("/a", null, w); break;
            case "persistent": tree.AddWatch("/a", w, 0); break;
            case "recursive": tree.AddWatch("/a", w, 1); break;
        }

        Assert.That(tree.ContainsWatcher("/a", type, w), Is.EqualTo(expected));
        Assert.That(tree.ContainsWatcher("/a", type, new RecordingWatcher()), Is.False);
        Assert.That(tree.RemoveWatch("/a", type, w), Is.EqualTo(expected));
        Assert.That(tree.ContainsWatcher("/a", type, w), Is.False);
        Assert.That(tree.RemoveWatch("/a", type, w), Is.False);
    }

    [Test]
    public void Removing_the_data_half_of_a_persistent_watch_keeps_the_child_half()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        tree.AddWatch("/a", w, 0);

        tree.RemoveWatch("/a", WatcherType.Data, w);
        tree.SetData("/a", [1], zxid: 2);
        tree.Create("/a/b", zxid: 3);

        Assert.That(w.Seen, Is.EqualTo(new[] { (EventType.NodeChildrenChanged, "/a") }));
    }

    [Test]
    public void RemoveCnxn_drops_every_watch_of_the_connection()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher();
        tree.GetData("/a", new Stat(), w);
        tree.GetChildren("/a", null, w);
        tree.AddWatch("/", w, 1);

        tree.RemoveCnxn(w);
        tree.Delete("/a", zxid: 2);

        Assert.That(tree.WatchCount, Is.Zero);
        Assert.That(w.Events, Is.Empty);
    }

    [Test]
    public void A_closed_connection_gets_no_new_watches()
    {
        var tree = new DataTree();
        tree.Create("/a", zxid: 1);
        var w = new RecordingWatcher { IsStale = true };

        tree.GetData("/a", new Stat(), w);
        tree.StatNode("/b", w);

        Assert.That(tree.WatchCount, Is.Zero);
    }
}
