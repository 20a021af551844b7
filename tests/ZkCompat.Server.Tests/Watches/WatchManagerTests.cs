using NUnit.Framework;
using ZkCompat.Protocol;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Tests.Watches;

[TestFixture]
public class WatchManagerTests
{
    private static readonly EventType[] NodeEvents =
        [EventType.NodeCreated, EventType.NodeDeleted, EventType.NodeDataChanged, EventType.NodeChildrenChanged];

    [Test]
    public void Event_carries_type_path_and_SyncConnected_state()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w);

        manager.TriggerWatch("/a", EventType.NodeDataChanged, 5);

        Assert.That(w.Events, Has.Count.EqualTo(1));
        Assert.Multiple(() =>
        {
            Assert.That(w.Events[0].Type, Is.EqualTo((int)EventType.NodeDataChanged));
            Assert.That(w.Events[0].State, Is.EqualTo((int)KeeperState.SyncConnected));
            Assert.That(w.Events[0].Path, Is.EqualTo("/a"));
        });
    }

    [TestCaseSource(nameof(NodeEvents))]
    public void Standard_watch_fires_once_then_is_gone(EventType type)
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w);

        manager.TriggerWatch("/a", type, 1);
        manager.TriggerWatch("/a", type, 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (type, "/a") }));
        Assert.That(manager.Count, Is.Zero);
        Assert.That(manager.ContainsWatcher("/a", w), Is.False);
    }

    [TestCaseSource(nameof(NodeEvents))]
    public void Persistent_watch_fires_every_time_and_stays(EventType type)
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w, WatcherMode.Persistent);

        manager.TriggerWatch("/a", type, 1);
        manager.TriggerWatch("/a", type, 2);

        Assert.That(w.Seen, Is.EqualTo(new[] { (type, "/a"), (type, "/a") }));
        Assert.That(manager.Count, Is.EqualTo(1));
    }

    [TestCase(EventType.NodeCreated, true)]
    [TestCase(EventType.NodeDeleted, true)]
    [TestCase(EventType.NodeDataChanged, true)]
    [TestCase(EventType.NodeChildrenChanged, false)]
    public void Recursive_watch_on_an_ancestor_sees_descendants_except_child_changes(EventType type, bool fires)
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w, WatcherMode.PersistentRecursive);

        manager.TriggerWatch("/a/b/c", type, 1);

        Assert.That(w.Seen, fires ? Is.EqualTo(new[] { (type, "/a/b/c") }) : Is.Empty);
        Assert.That(manager.Count, Is.EqualTo(1));
    }

    [TestCase(EventType.NodeDataChanged, true)]
    [TestCase(EventType.NodeChildrenChanged, false)]
    public void Recursive_watch_on_the_path_itself_also_ignores_child_changes(EventType type, bool fires)
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w, WatcherMode.PersistentRecursive);

        manager.TriggerWatch("/a", type, 1);

        Assert.That(w.Events, Has.Count.EqualTo(fires ? 1 : 0));
    }

    [Test]
    public void Recursive_watch_on_root_sees_every_path()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/", w, WatcherMode.PersistentRecursive);

        manager.TriggerWatch("/", EventType.NodeDataChanged, 1);
        manager.TriggerWatch("/x", EventType.NodeCreated, 2);
        manager.TriggerWatch("/x/y", EventType.NodeDeleted, 3);

        Assert.That(w.Seen, Is.EqualTo(new[]
        {
            (EventType.NodeDataChanged, "/"), (EventType.NodeCreated, "/x"), (EventType.NodeDeleted, "/x/y"),
        }));
    }

    [TestCase(WatcherMode.Standard)]
    [TestCase(WatcherMode.Persistent)]
    public void Non_recursive_watch_on_an_ancestor_does_not_fire(WatcherMode mode)
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w, mode);
        // A recursive watch elsewhere makes the trigger walk up the ancestors.
        manager.AddWatch("/other", new RecordingWatcher(), WatcherMode.PersistentRecursive);

        manager.TriggerWatch("/a/b", EventType.NodeDataChanged, 1);

        Assert.That(w.Events, Is.Empty);
        Assert.That(manager.ContainsWatcher("/a", w), Is.True);
    }

    [Test]
    public void A_watcher_matching_several_ways_is_notified_once_and_its_one_shot_is_used_up()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a/b", w);
        manager.AddWatch("/a", w, WatcherMode.PersistentRecursive);
        manager.AddWatch("/", w, WatcherMode.PersistentRecursive);

        var matched = manager.TriggerWatch("/a/b", EventType.NodeDataChanged, 1);

        Assert.That(w.Events, Has.Count.EqualTo(1));
        Assert.That(matched, Is.EquivalentTo(new[] { w }));
        Assert.That(manager.ContainsWatcher("/a/b", w), Is.False);
        Assert.That(manager.Count, Is.EqualTo(2));
    }

    [Test]
    public void Every_watcher_on_the_path_is_notified_and_returned()
    {
        var manager = new WatchManager();
        var w1 = new RecordingWatcher("w1");
        var w2 = new RecordingWatcher("w2");
        var other = new RecordingWatcher("other");
        manager.AddWatch("/a", w1);
        manager.AddWatch("/a", w2, WatcherMode.Persistent);
        manager.AddWatch("/b", other);

        var matched = manager.TriggerWatch("/a", EventType.NodeDeleted, 1);

        Assert.That(matched, Is.EquivalentTo(new[] { w1, w2 }));
        Assert.That(w1.Events, Has.Count.EqualTo(1));
        Assert.That(w2.Events, Has.Count.EqualTo(1));
        Assert.That(other.Events, Is.Empty);
    }

    [Test]
    public void Trigger_without_watchers_returns_an_empty_set()
    {
        var manager = new WatchManager();

        Assert.That(manager.TriggerWatch("/nothing", EventType.NodeCreated, 1), Is.Empty);
    }

    [Test]
    public void Suppressed_watchers_are_not_notified_but_are_consumed_and_returned()
    {
        var manager = new WatchManager();
        var told = new RecordingWatcher("told");
        var fresh = new RecordingWatcher("fresh");
        manager.AddWatch("/a", told);
        manager.AddWatch("/a", fresh);

        var matched = manager.TriggerWatch("/a", EventType.NodeDeleted, 1, new HashSet<IWatcher> { told });

        Assert.That(told.Events, Is.Empty);
        Assert.That(fresh.Events, Has.Count.EqualTo(1));
        Assert.That(matched, Is.EquivalentTo(new[] { told, fresh }));
        Assert.That(manager.Count, Is.Zero);
    }

    [Test]
    public void Adding_a_pair_again_replaces_its_mode_as_in_3_8()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();

        Assert.That(manager.AddWatch("/a", w, WatcherMode.Persistent), Is.True);
        // e.g. getData(watch=true) after addWatch: 3.8 keeps one mode per pair, the last one.
        Assert.That(manager.AddWatch("/a", w, WatcherMode.Standard), Is.False);
        Assert.That(manager.GetMode("/a", w), Is.EqualTo(WatcherMode.Standard));

        manager.TriggerWatch("/a", EventType.NodeDataChanged, 1);
        manager.TriggerWatch("/a", EventType.NodeDataChanged, 2);

        Assert.That(w.Events, Has.Count.EqualTo(1));
        Assert.That(manager.Count, Is.Zero);
    }

    [Test]
    public void Recursive_count_follows_mode_changes_and_removals()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();

        manager.AddWatch("/a", w, WatcherMode.PersistentRecursive);
        manager.AddWatch("/b", w, WatcherMode.PersistentRecursive);
        Assert.That(manager.RecursiveWatchCount, Is.EqualTo(2));

        manager.AddWatch("/a", w, WatcherMode.Persistent);
        Assert.That(manager.RecursiveWatchCount, Is.EqualTo(1));

        manager.RemoveWatcher(w);
        Assert.That(manager.RecursiveWatchCount, Is.Zero);
        Assert.That(manager.Count, Is.Zero);
    }

    [TestCase(WatcherMode.Standard, null, true)]
    [TestCase(WatcherMode.Standard, WatcherMode.Standard, true)]
    [TestCase(WatcherMode.Standard, WatcherMode.Persistent, false)]
    [TestCase(WatcherMode.Persistent, WatcherMode.Persistent, true)]
    [TestCase(WatcherMode.Persistent, WatcherMode.PersistentRecursive, false)]
    [TestCase(WatcherMode.PersistentRecursive, null, true)]
    [TestCase(WatcherMode.PersistentRecursive, WatcherMode.PersistentRecursive, true)]
    public void ContainsWatcher_and_RemoveWatcher_match_the_mode_when_given(WatcherMode registered, WatcherMode? asked, bool expected)
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w, registered);

        Assert.That(manager.ContainsWatcher("/a", w, asked), Is.EqualTo(expected));
        Assert.That(manager.RemoveWatcher("/a", w, asked), Is.EqualTo(expected));
        Assert.That(manager.ContainsWatcher("/a", w), Is.EqualTo(!expected));
        Assert.That(manager.Count, Is.EqualTo(expected ? 0 : 1));
    }

    [Test]
    public void ContainsWatcher_is_about_this_watcher_on_exactly_this_path()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher("w");
        var other = new RecordingWatcher("other");
        manager.AddWatch("/a", other);
        manager.AddWatch("/", w, WatcherMode.PersistentRecursive);

        Assert.Multiple(() =>
        {
            Assert.That(manager.ContainsWatcher("/a", w), Is.False);
            Assert.That(manager.ContainsWatcher("/a", other), Is.True);
            Assert.That(manager.ContainsWatcher("/", w), Is.True);
        });
    }

    [Test]
    public void RemoveWatcher_of_a_missing_pair_is_false()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w);

        Assert.That(manager.RemoveWatcher("/b", w), Is.False);
        Assert.That(manager.RemoveWatcher("/a", new RecordingWatcher()), Is.False);
        Assert.That(manager.RemoveWatcher("/a", w), Is.True);
        Assert.That(manager.RemoveWatcher("/a", w), Is.False);
    }

    [Test]
    public void Removing_a_connection_drops_all_its_watches_and_nothing_else()
    {
        var manager = new WatchManager();
        var gone = new RecordingWatcher("gone");
        var stays = new RecordingWatcher("stays");
        manager.AddWatch("/a", gone);
        manager.AddWatch("/b", gone, WatcherMode.PersistentRecursive);
        manager.AddWatch("/a", stays);

        manager.RemoveWatcher(gone);
        manager.TriggerWatch("/a", EventType.NodeDataChanged, 1);
        manager.TriggerWatch("/b/c", EventType.NodeDataChanged, 2);

        Assert.That(gone.Events, Is.Empty);
        Assert.That(stays.Events, Has.Count.EqualTo(1));
        Assert.That(manager.WatchesByWatcher().Keys, Has.No.Member(gone));
    }

    [Test]
    public void A_stale_watcher_is_not_registered()
    {
        var manager = new WatchManager();
        var w = new RecordingWatcher { IsStale = true };

        Assert.That(manager.AddWatch("/a", w), Is.False);
        Assert.That(manager.Count, Is.Zero);
    }

    [Test]
    public void Reports_list_watches_by_path_and_by_watcher()
    {
        var manager = new WatchManager();
        var w1 = new RecordingWatcher("w1");
        var w2 = new RecordingWatcher("w2");
        manager.AddWatch("/a", w1);
        manager.AddWatch("/b", w1);
        manager.AddWatch("/a", w2);

        var byPath = manager.WatchesByPath();
        var byWatcher = manager.WatchesByWatcher();

        Assert.That(byPath.Keys, Is.EquivalentTo(new[] { "/a", "/b" }));
        Assert.That(byPath["/a"], Is.EquivalentTo(new[] { w1, w2 }));
        Assert.That(byPath["/b"], Is.EquivalentTo(new[] { w1 }));
        Assert.That(byWatcher[w1], Is.EquivalentTo(new[] { "/a", "/b" }));
        Assert.That(byWatcher[w2], Is.EquivalentTo(new[] { "/a" }));
        Assert.That(manager.Count, Is.EqualTo(3));
        Assert.That(manager.GetSummary(), Is.EqualTo(new WatchesSummary(Connections: 2, Paths: 2, TotalWatches: 3)));
    }

    [Test]
    public void A_connection_whose_watches_all_fired_still_counts_in_the_summary_until_it_closes()
    {
        // Java keeps the emptied watch2Paths entry; wchs shows it as a connection watching nothing.
        var manager = new WatchManager();
        var w = new RecordingWatcher();
        manager.AddWatch("/a", w);
        manager.TriggerWatch("/a", EventType.NodeDeleted, 1);

        Assert.That(manager.GetSummary(), Is.EqualTo(new WatchesSummary(1, 0, 0)));

        manager.RemoveWatcher(w);
        Assert.That(manager.GetSummary(), Is.EqualTo(new WatchesSummary(0, 0, 0)));
    }

    [Test]
    public void Watchers_are_told_apart_by_reference_not_by_Equals()
    {
        var manager = new WatchManager();
        var w1 = new EqualWatcher();
        var w2 = new EqualWatcher();
        manager.AddWatch("/a", w1);
        manager.AddWatch("/a", w2);

        manager.TriggerWatch("/a", EventType.NodeDataChanged, 1);

        Assert.That(w1.Count + w2.Count, Is.EqualTo(2));
    }

    private sealed class EqualWatcher : IWatcher
    {
        public int Count { get; private set; }

        public void Process(ZkCompat.Protocol.Proto.WatcherEvent evt) => Count++;

        public override bool Equals(object? obj) => obj is EqualWatcher;

        public override int GetHashCode() => 1;
    }
}
