using ZkCompat.Protocol;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.Server.Watches;

/// <summary>
/// The watches of one kind (the data tree keeps one manager for data/exists watches and one for
/// child watches), with ZooKeeper 3.8's rules:
/// <list type="bullet">
/// <item>a (path, watcher) pair is registered once and has one mode; registering it again replaces
/// the mode, so a one-shot watch set after a persistent one on the same path makes it one-shot
/// (3.8 behaviour; 3.9 keeps both);</item>
/// <item>standard watches on the path fire once and are removed, persistent ones stay;</item>
/// <item>recursive watches on the path or any ancestor fire for every event except NodeChildrenChanged;</item>
/// <item>a watcher gets an event at most once, however many of its watches match.</item>
/// </list>
/// All members are thread-safe; watchers are notified outside the lock.
/// </summary>
public sealed class WatchManager
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, HashSet<IWatcher>> _watchTable = new(StringComparer.Ordinal);
    private readonly Dictionary<IWatcher, HashSet<string>> _watch2Paths = new(ReferenceEqualityComparer.Instance);

    // Only pairs whose mode is not Standard are stored, as in Java's WatcherModeManager.
    private readonly Dictionary<(IWatcher Watcher, string Path), WatcherMode> _modes = new(PairComparer.Instance);

    // While no recursive watch exists a trigger only has to look at the path itself.
    private int _recursiveCount;

    /// <summary>Total (path, watcher) pairs.</summary>
    public int Count
    {
        get
        {
            lock (_sync)
            {
                int total = 0;
                foreach (var watchers in _watchTable.Values) total += watchers.Count;
                return total;
            }
        }
    }

    /// <summary>Number of pairs in PersistentRecursive mode.</summary>
    public int RecursiveWatchCount
    {
        get { lock (_sync) return _recursiveCount; }
    }

    /// <summary>
    /// Registers <paramref name="watcher"/> on <paramref name="path"/> in <paramref name="mode"/>.
    /// Returns true if the pair is new; false if it existed (its mode is still replaced) or if the
    /// watcher is stale.
    /// </summary>
    public bool AddWatch(string path, IWatcher watcher, WatcherMode mode = WatcherMode.Standard)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(watcher);
        if (watcher.IsStale) return false;

        lock (_sync)
        {
            if (!_watchTable.TryGetValue(path, out var watchers))
            {
                watchers = new HashSet<IWatcher>(ReferenceEqualityComparer.Instance);
                _watchTable.Add(path, watchers);
            }
            watchers.Add(watcher);

            if (!_watch2Paths.TryGetValue(watcher, out var paths))
            {
                paths = new HashSet<string>(StringComparer.Ordinal);
                _watch2Paths.Add(watcher, paths);
            }
            SetMode(watcher, path, mode);
            return paths.Add(path);
        }
    }

    /// <summary>
    /// Notifies every watcher that <paramref name="type"/> happened on <paramref name="path"/>,
    /// except those in <paramref name="suppress"/> (already told by the other manager). Returns every
    /// matched watcher, suppressed ones included, so the caller can pass it on as the next suppress set.
    /// </summary>
    /// <param name="zxid">The zxid of the change. ZooKeeper 3.8 does not put it in notifications
    /// (their ReplyHeader carries -1); it is accepted so callers need not change if that does.</param>
    public IReadOnlySet<IWatcher> TriggerWatch(string path, EventType type, long zxid, IReadOnlySet<IWatcher>? suppress = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        HashSet<IWatcher>? matched = null;

        lock (_sync)
        {
            var it = new PathParentIterator(path, pathOnly: _recursiveCount == 0);
            while (it.MoveNext())
            {
                string localPath = it.Current;
                if (!_watchTable.TryGetValue(localPath, out var watchers)) continue;

                List<IWatcher>? fired = null;
                foreach (var watcher in watchers)
                {
                    var mode = GetModeLocked(watcher, localPath);
                    if (mode.IsRecursive())
                    {
                        if (type != EventType.NodeChildrenChanged)
                            (matched ??= NewWatcherSet()).Add(watcher);
                    }
                    else if (!it.AtParentPath)
                    {
                        (matched ??= NewWatcherSet()).Add(watcher);
                        if (!mode.IsPersistent()) (fired ??= []).Add(watcher);
                    }
                }

                if (fired is null) continue;
                foreach (var watcher in fired)
                {
                    watchers.Remove(watcher);
                    // An emptied entry stays until the connection goes, as in Java: wchs counts it.
                    if (_watch2Paths.TryGetValue(watcher, out var paths)) paths.Remove(localPath);
                }
                if (watchers.Count == 0) _watchTable.Remove(localPath);
            }
        }

        if (matched is null) return EmptySet;

        var evt = new WatcherEvent { Type = (int)type, State = (int)KeeperState.SyncConnected, Path = path };
        foreach (var watcher in matched)
        {
            if (suppress is not null && suppress.Contains(watcher)) continue;
            watcher.Process(evt);
        }
        return matched;
    }

    /// <summary>
    /// True if <paramref name="watcher"/> has a watch registered on exactly <paramref name="path"/>
    /// (in <paramref name="mode"/>, if given).
    /// </summary>
    /// <remarks>
    /// Java 3.8.0's <c>containsWatcher</c> answers true when any watcher at all is registered on the
    /// path; we check this watcher, as 3.5 did and 3.9 does again.
    /// </remarks>
    public bool ContainsWatcher(string path, IWatcher watcher, WatcherMode? mode = null)
    {
        lock (_sync)
        {
            if (!_watch2Paths.TryGetValue(watcher, out var paths) || !paths.Contains(path)) return false;
            return mode is null || GetModeLocked(watcher, path) == mode;
        }
    }

    /// <summary>
    /// Removes the watch of <paramref name="watcher"/> on <paramref name="path"/>; with
    /// <paramref name="mode"/> only if it is registered in that mode. Returns whether one was removed.
    /// </summary>
    public bool RemoveWatcher(string path, IWatcher watcher, WatcherMode? mode = null)
    {
        lock (_sync)
        {
            if (!_watch2Paths.TryGetValue(watcher, out var paths) || !paths.Contains(path)) return false;
            if (mode is not null && GetModeLocked(watcher, path) != mode) return false;

            paths.Remove(path);
            if (_watchTable.TryGetValue(path, out var watchers))
            {
                watchers.Remove(watcher);
                if (watchers.Count == 0) _watchTable.Remove(path);
            }
            SetMode(watcher, path, WatcherMode.Standard);
            return true;
        }
    }

    /// <summary>Drops every watch of <paramref name="watcher"/> (its connection closed).</summary>
    public void RemoveWatcher(IWatcher watcher)
    {
        lock (_sync)
        {
            if (!_watch2Paths.Remove(watcher, out var paths)) return;
            foreach (var path in paths)
            {
                if (_watchTable.TryGetValue(path, out var watchers))
                {
                    watchers.Remove(watcher);
                    if (watchers.Count == 0) _watchTable.Remove(path);
                }
                SetMode(watcher, path, WatcherMode.Standard);
            }
        }
    }

    /// <summary>The mode of a registered pair, or null if <paramref name="watcher"/> has no watch on <paramref name="path"/>.</summary>
    public WatcherMode? GetMode(string path, IWatcher watcher)
    {
        lock (_sync)
        {
            if (!_watch2Paths.TryGetValue(watcher, out var paths) || !paths.Contains(path)) return null;
            return GetModeLocked(watcher, path);
        }
    }

    /// <summary>A copy of the watchers by path (four-letter word wchp).</summary>
    public IReadOnlyDictionary<string, IReadOnlyCollection<IWatcher>> WatchesByPath()
    {
        lock (_sync)
        {
            var copy = new Dictionary<string, IReadOnlyCollection<IWatcher>>(_watchTable.Count, StringComparer.Ordinal);
            foreach (var (path, watchers) in _watchTable) copy.Add(path, watchers.ToArray());
            return copy;
        }
    }

    /// <summary>A copy of the watched paths by watcher (four-letter word wchc).</summary>
    public IReadOnlyDictionary<IWatcher, IReadOnlyCollection<string>> WatchesByWatcher()
    {
        lock (_sync)
        {
            var copy = new Dictionary<IWatcher, IReadOnlyCollection<string>>(_watch2Paths.Count, ReferenceEqualityComparer.Instance);
            foreach (var (watcher, paths) in _watch2Paths) copy.Add(watcher, paths.ToArray());
            return copy;
        }
    }

    /// <summary>Counts for the four-letter word wchs.</summary>
    public WatchesSummary GetSummary()
    {
        lock (_sync)
        {
            int total = 0;
            foreach (var paths in _watch2Paths.Values) total += paths.Count;
            return new WatchesSummary(_watch2Paths.Count, _watchTable.Count, total);
        }
    }

    private WatcherMode GetModeLocked(IWatcher watcher, string path) =>
        _modes.TryGetValue((watcher, path), out var mode) ? mode : WatcherMode.Standard;

    private void SetMode(IWatcher watcher, string path, WatcherMode mode)
    {
        bool wasRecursive;
        if (mode == WatcherMode.Standard)
        {
            wasRecursive = _modes.Remove((watcher, path), out var old) && old.IsRecursive();
        }
        else
        {
            wasRecursive = _modes.TryGetValue((watcher, path), out var old) && old.IsRecursive();
            _modes[(watcher, path)] = mode;
        }
        if (wasRecursive != mode.IsRecursive()) _recursiveCount += mode.IsRecursive() ? 1 : -1;
    }

    private static HashSet<IWatcher> NewWatcherSet() => new(ReferenceEqualityComparer.Instance);

    private static readonly IReadOnlySet<IWatcher> EmptySet = new HashSet<IWatcher>();

    private sealed class PairComparer : IEqualityComparer<(IWatcher Watcher, string Path)>
    {
        public static readonly PairComparer Instance = new();

        public bool Equals((IWatcher Watcher, string Path) x, (IWatcher Watcher, string Path) y) =>
            ReferenceEquals(x.Watcher, y.Watcher) && string.Equals(x.Path, y.Path, StringComparison.Ordinal);

        public int GetHashCode((IWatcher Watcher, string Path) obj) =>
            HashCode.Combine(System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj.Watcher), StringComparer.Ordinal.GetHashCode(obj.Path));
    }
}

/// <summary>What wchs prints: "N connections watching M paths" and "Total watches:K".</summary>
public readonly record struct WatchesSummary(int Connections, int Paths, int TotalWatches);
