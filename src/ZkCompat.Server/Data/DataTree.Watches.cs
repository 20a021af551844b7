using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Data;

// Watch registration that needs the tree: re-registration on reconnect, addWatch, checkWatches
// and removeWatches.
public sealed partial class DataTree
{
    /// <summary>
    /// Re-registers a reconnecting client's watches (Java's <c>setWatches</c>), firing at once
    /// what it missed since <paramref name="relativeZxid"/>, its last seen zxid:
    /// a data watch fires NodeDeleted if the node is gone, NodeDataChanged if its mzxid is newer,
    /// else is registered; an exist watch fires NodeCreated if the node now exists, else is
    /// registered; a child watch fires NodeDeleted if gone, NodeChildrenChanged if its pzxid is
    /// newer, else is registered. Persistent and recursive watches are always registered, in both
    /// managers. Null lists count as empty; null paths are skipped.
    /// </summary>
    public void SetWatches(long relativeZxid, IEnumerable<string?>? dataWatches, IEnumerable<string?>? existWatches,
        IEnumerable<string?>? childWatches, IEnumerable<string?>? persistentWatches, IEnumerable<string?>? persistentRecursiveWatches,
        IWatcher watcher)
    {
        foreach (var path in NonNull(dataWatches))
        {
            var node = GetNode(path);
            if (node is null) Notify(watcher, EventType.NodeDeleted, path);
            else if (ReadZxids(node).Mzxid > relativeZxid) Notify(watcher, EventType.NodeDataChanged, path);
            else DataWatches.AddWatch(path, watcher);
        }
        foreach (var path in NonNull(existWatches))
        {
            if (GetNode(path) is not null) Notify(watcher, EventType.NodeCreated, path);
            else DataWatches.AddWatch(path, watcher);
        }
        foreach (var path in NonNull(childWatches))
        {
            var node = GetNode(path);
            if (node is null) Notify(watcher, EventType.NodeDeleted, path);
            else if (ReadZxids(node).Pzxid > relativeZxid) Notify(watcher, EventType.NodeChildrenChanged, path);
            else ChildWatches.AddWatch(path, watcher);
        }
        foreach (var path in NonNull(persistentWatches))
        {
            ChildWatches.AddWatch(path, watcher, WatcherMode.Persistent);
            DataWatches.AddWatch(path, watcher, WatcherMode.Persistent);
        }
        foreach (var path in NonNull(persistentRecursiveWatches))
        {
            ChildWatches.AddWatch(path, watcher, WatcherMode.PersistentRecursive);
            DataWatches.AddWatch(path, watcher, WatcherMode.PersistentRecursive);
        }
    }

    /// <summary>
    /// addWatch: registers a persistent (mode 0) or persistent recursive (mode 1) watch in both
    /// managers. The node need not exist.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Another mode (Java throws IllegalArgumentException).</exception>
    public void AddWatch(string path, IWatcher watcher, int mode)
    {
        var watcherMode = WatcherModeExtensions.FromAddWatchMode(mode);
        DataWatches.AddWatch(path, watcher, watcherMode);
        ChildWatches.AddWatch(path, watcher, watcherMode);
    }

    /// <summary>checkWatches: Children looks at child watches, Data at data watches, Any at both.</summary>
    public bool ContainsWatcher(string path, WatcherType type, IWatcher watcher) => type switch
    {
        WatcherType.Children => ChildWatches.ContainsWatcher(path, watcher),
        WatcherType.Data => DataWatches.ContainsWatcher(path, watcher),
        WatcherType.Any => ChildWatches.ContainsWatcher(path, watcher) | DataWatches.ContainsWatcher(path, watcher),
        _ => false,
    };

    /// <summary>
    /// removeWatches: removes the watcher's watch on exactly <paramref name="path"/> from the chosen
    /// manager(s), whatever its mode. Returns whether anything was removed.
    /// </summary>
    public bool RemoveWatch(string path, WatcherType type, IWatcher watcher) => type switch
    {
        WatcherType.Children => ChildWatches.RemoveWatcher(path, watcher),
        WatcherType.Data => DataWatches.RemoveWatcher(path, watcher),
        // Both, with no short-circuit.
        WatcherType.Any => ChildWatches.RemoveWatcher(path, watcher) | DataWatches.RemoveWatcher(path, watcher),
        _ => false,
    };

    /// <summary>Drops every watch of a closed connection.</summary>
    public void RemoveCnxn(IWatcher watcher)
    {
        DataWatches.RemoveWatcher(watcher);
        ChildWatches.RemoveWatcher(watcher);
    }

    private static IEnumerable<string> NonNull(IEnumerable<string?>? paths)
    {
        if (paths is null) yield break;
        foreach (var path in paths)
        {
            if (path is not null) yield return path;
        }
    }

    private static (long Mzxid, long Pzxid) ReadZxids(DataNode node)
    {
        lock (node.Sync) return (node.Mzxid, node.Pzxid);
    }

    private static void Notify(IWatcher watcher, EventType type, string path) =>
        watcher.Process(new WatcherEvent { Type = (int)type, State = (int)KeeperState.SyncConnected, Path = path });
}
