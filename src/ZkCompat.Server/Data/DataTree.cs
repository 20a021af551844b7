using System.Collections.Concurrent;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Data;

/// <summary>
/// The in-memory znode tree (Java's <c>DataTree</c>): the nodes, the ACL cache, the
/// ephemeral/container/TTL indexes and the two watch managers. One thread applies txns
/// (<see cref="ProcessTxn"/>); any thread may read. Split over several files:
/// this one holds the state and the reads, <c>DataTree.Mutations.cs</c> the changes,
/// <c>DataTree.Txn.cs</c> txn dispatch, <c>DataTree.Watches.cs</c> watch registration and
/// <c>DataTree.Snapshot.cs</c> the snapshot form.
/// </summary>
/// <remarks>
/// Java keeps a path → node map beside the children sets. Here the children index is the only one:
/// a lookup walks from the root, one name per level, without locks or allocation. That saves the
/// map entry and the full path string of every node (about 130 bytes a node). Java's map has one
/// trait the walk lacks: a node deleted while it still has children (possible only when a fuzzy
/// snapshot is replayed) leaves them in the map, reachable by path. Such children are kept in
/// <see cref="_orphans"/> by path, so lookups, counts and digests agree with Java's even then.
/// </remarks>
public sealed partial class DataTree
{
    // The root answers to both "" (how child paths find their parent and how snapshots name it)
    // and "/" (how clients name it); as in Java's map, the alias counts in NodeCount.
    private DataNode _root;
    private int _nodeCount;

    // Children of nodes deleted while they had some, by path (see the remarks); almost always empty.
    private readonly ConcurrentDictionary<string, DataNode> _orphans = new(StringComparer.Ordinal);
    // Entries of _orphans, kept beside it: the dictionary's own IsEmpty/Count take all its locks,
    // too dear for a check made on every lookup miss and every loaded node.
    private int _orphanCount;
    private readonly NameCache _names = new();

    private readonly ConcurrentDictionary<long, HashSet<string>> _ephemerals = new();
    private readonly ConcurrentDictionary<string, byte> _containers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _ttls = new(StringComparer.Ordinal);

    // Sum over map entries of path length + data length (mntr's zk_approximate_data_size).
    private long _nodeDataSize;
    private long _lastProcessedZxid;

    /// <summary>A tree with extended types (TTL nodes) disabled, Java's default.</summary>
    public DataTree() : this(extendedTypesEnabled: false) { }

    /// <param name="extendedTypesEnabled"><c>zookeeper.extendedTypesEnabled</c>: owners with top byte 0xFF are TTL nodes.</param>
    /// <param name="emulate353TtlNodes"><c>zookeeper.emulate353TTLNodes</c>: also read 3.5.3-style TTL owners.</param>
    public DataTree(bool extendedTypesEnabled, bool emulate353TtlNodes = false)
    {
        ExtendedTypesEnabled = extendedTypesEnabled;
        Emulate353TtlNodes = emulate353TtlNodes;

        _root = NewSpecialNode("");
        // The root and its "/" alias: two entries of Java's map.
        _nodeCount = 2;
        AddNodeDigest("", _root);

        var proc = NewSpecialNode(SpecialPaths.Zookeeper[1..]);
        _root.AddChildLocked(proc);
        AddToCounts(SpecialPaths.Zookeeper, proc);

        var quota = NewSpecialNode(SpecialPaths.Quota[(SpecialPaths.Zookeeper.Length + 1)..]);
        proc.AddChildLocked(quota);
        AddToCounts(SpecialPaths.Quota, quota);

        AddConfigNode();
        _nodeDataSize = ApproximateDataSize();
    }

    public bool ExtendedTypesEnabled { get; }

    public bool Emulate353TtlNodes { get; }

    /// <summary>The zxid of the last txn applied (a multi counts once it is applied whole).</summary>
    public long LastProcessedZxid
    {
        get => Volatile.Read(ref _lastProcessedZxid);
        set => Volatile.Write(ref _lastProcessedZxid, value);
    }

    /// <summary>Entries of the path map, the root alias included: 5 for a fresh tree, as Java reports.</summary>
    public int NodeCount => Volatile.Read(ref _nodeCount);

    public AclCache Acls { get; } = new();

    /// <summary>Data and exists watches.</summary>
    public WatchManager DataWatches { get; } = new();

    /// <summary>Child watches.</summary>
    public WatchManager ChildWatches { get; } = new();

    /// <summary>All (path, watcher) pairs of both managers (mntr's zk_watch_count).</summary>
    public int WatchCount => DataWatches.Count + ChildWatches.Count;

    /// <summary>Path plus data length over the path map, kept up to date by every change.</summary>
    public long CachedApproximateDataSize => Interlocked.Read(ref _nodeDataSize);

    /// <summary>The node at <paramref name="path"/> ("" and "/" are the root), or null. Takes no lock.</summary>
    public DataNode? GetNode(string path) => GetNode(path.AsSpan());

    /// <inheritdoc cref="GetNode(string)"/>
    public DataNode? GetNode(ReadOnlySpan<char> path)
    {
        var node = Volatile.Read(ref _root);
        if (path.Length == 0 || (path.Length == 1 && path[0] == '/')) return node;
        if (path[0] == '/')
        {
            var found = Walk(node, path[1..]);
            if (found is not null) return found;
        }
        return HasOrphans ? FindAmongOrphans(path) : null;
    }

    /// <summary>Follows <paramref name="relative"/> (names joined by '/') down from <paramref name="node"/>.</summary>
    private static DataNode? Walk(DataNode? node, ReadOnlySpan<char> relative)
    {
        while (node is not null)
        {
            int slash = relative.IndexOf('/');
            if (slash < 0) return node.GetChild(relative);
            node = node.GetChild(relative[..slash]);
            relative = relative[(slash + 1)..];
        }
        return null;
    }

    /// <summary>A path under an orphan: found from the deepest orphan that is a prefix of it.</summary>
    private DataNode? FindAmongOrphans(ReadOnlySpan<char> path)
    {
        var lookup = _orphans.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(path, out var exact)) return exact;
        for (int end = path.LastIndexOf('/'); end > 0; end = path[..end].LastIndexOf('/'))
        {
            if (lookup.TryGetValue(path[..end], out var orphan)) return Walk(orphan, path[(end + 1)..]);
        }
        return null;
    }

    /// <summary>Java's <c>isSpecialPath</c>: nodes that cannot be deleted.</summary>
    public bool IsSpecialPath(string path) => SpecialPaths.IsSpecialPath(path);

    /// <summary>Classifies an owner with this tree's extended-type settings.</summary>
    public EphemeralType GetEphemeralType(long ephemeralOwner) =>
        EphemeralTypes.Get(ephemeralOwner, ExtendedTypesEnabled, Emulate353TtlNodes);

    /// <summary>The data, filling <paramref name="stat"/>; registers a data watch if <paramref name="watcher"/> is given.</summary>
    /// <exception cref="KeeperException">NoNode, and then no watch is registered.</exception>
    public byte[]? GetData(string path, Stat stat, IWatcher? watcher)
    {
        var node = GetNode(path) ?? throw new KeeperException(ErrorCode.NoNode, path);
        lock (node.Sync)
        {
            node.CopyStatLocked(stat);
            // Inside the lock, so a change applied after this read is sure to find the watch.
            if (watcher is not null) DataWatches.AddWatch(path, watcher);
            return node.Data;
        }
    }

    /// <summary>
    /// The stat, or null if the node does not exist. A watch is registered either way: on a
    /// missing node it fires NodeCreated (exists semantics).
    /// </summary>
    public Stat? StatNode(string path, IWatcher? watcher)
    {
        if (watcher is not null) DataWatches.AddWatch(path, watcher);
        var node = GetNode(path);
        if (node is null) return null;
        var stat = new Stat();
        node.CopyStat(stat);
        return stat;
    }

    /// <summary>The child names (unordered), filling <paramref name="stat"/> if given; registers a child watch.</summary>
    /// <exception cref="KeeperException">NoNode, and then no watch is registered.</exception>
    public List<string> GetChildren(string path, Stat? stat, IWatcher? watcher)
    {
        var node = GetNode(path) ?? throw new KeeperException(ErrorCode.NoNode, path);
        lock (node.Sync)
        {
            if (stat is not null) node.CopyStatLocked(stat);
            var children = new List<string>(node.ChildrenLocked());
            if (watcher is not null) ChildWatches.AddWatch(path, watcher);
            return children;
        }
    }

    /// <summary>
    /// Number of descendants of <paramref name="path"/> (0 if it does not exist). For "/" Java
    /// answers "map size − 2", which counts /zookeeper and its children; so does this.
    /// </summary>
    public int GetAllChildrenNumber(string path)
    {
        if (path == SpecialPaths.Root) return NodeCount - 2;
        var node = GetNode(path);
        return node is null ? 0 : CountDescendants(path, node);
    }

    private static int CountDescendants(string path, DataNode node)
    {
        int count = 0;
        // An explicit stack: a chain of nodes can be far deeper than the call stack allows.
        var pending = new Stack<DataNode>();
        pending.Push(node);
        while (pending.Count > 0)
        {
            DataNode[] children;
            var current = pending.Pop();
            lock (current.Sync) children = current.ChildNodesLocked();
            count += children.Length;
            foreach (var child in children) pending.Push(child);
        }
        return count;
    }

    /// <summary>A copy of the node's ACL, filling <paramref name="stat"/>.</summary>
    /// <exception cref="KeeperException">NoNode.</exception>
    public List<ACL> GetACL(string path, Stat stat)
    {
        var node = GetNode(path) ?? throw new KeeperException(ErrorCode.NoNode, path);
        lock (node.Sync)
        {
            node.CopyStatLocked(stat);
            return CopyAcls(Acls.ConvertLong(node.AclRef));
        }
    }

    /// <summary>The ACL of a node (the cached list: do not change its records).</summary>
    public IReadOnlyList<ACL> GetACL(DataNode node)
    {
        lock (node.Sync) return Acls.ConvertLong(node.AclRef);
    }

    /// <summary>Paths of the ephemerals owned by <paramref name="sessionId"/>.</summary>
    public IReadOnlyCollection<string> GetEphemerals(long sessionId)
    {
        if (!_ephemerals.TryGetValue(sessionId, out var paths)) return [];
        lock (paths) return paths.ToArray();
    }

    /// <summary>
    /// Sessions present in the ephemeral index. As in Java, a session stays listed (possibly with
    /// no paths) until it is closed, even after its ephemerals were deleted one by one.
    /// </summary>
    public IReadOnlyCollection<long> GetSessionsWithEphemerals() => _ephemerals.Keys.ToArray();

    /// <summary>A copy of the whole ephemeral index (four-letter word dump).</summary>
    public IReadOnlyDictionary<long, IReadOnlyCollection<string>> GetAllEphemerals()
    {
        var copy = new Dictionary<long, IReadOnlyCollection<string>>();
        foreach (var (session, paths) in _ephemerals)
        {
            lock (paths) copy[session] = paths.ToArray();
        }
        return copy;
    }

    /// <summary>Number of ephemeral nodes (mntr's zk_ephemerals_count).</summary>
    public int EphemeralsCount
    {
        get
        {
            int count = 0;
            foreach (var paths in _ephemerals.Values)
            {
                lock (paths) count += paths.Count;
            }
            return count;
        }
    }

    /// <summary>Paths of the container nodes, for the container manager.</summary>
    public IReadOnlyCollection<string> GetContainers() => _containers.Keys.ToArray();

    /// <summary>Paths of the TTL nodes, for the container manager.</summary>
    public IReadOnlyCollection<string> GetTtls() => _ttls.Keys.ToArray();

    /// <summary>Path plus data length over the path map, computed afresh.</summary>
    public long ApproximateDataSize()
    {
        long total = 0;
        foreach (var (path, node) in AllNodes())
        {
            lock (node.Sync) total += NodeSize(path, node.Data);
        }
        // The "/" alias is an entry of its own in Java's map.
        lock (_root.Sync) total += NodeSize(SpecialPaths.Root, _root.Data);
        return total;
    }

    private static long NodeSize(string path, byte[]? data) => path.Length + (data?.Length ?? 0);

    /// <summary>
    /// Every node with its path, as Java's map holds them (the root once, as ""): the tree from the
    /// root, then the orphans' subtrees. Paths are built as it goes; for whole-tree recounts only.
    /// </summary>
    private IEnumerable<(string Path, DataNode Node)> AllNodes()
    {
        var pending = new Stack<(string, DataNode)>();
        pending.Push(("", _root));
        foreach (var (path, orphan) in _orphans) pending.Push((path, orphan));
        while (pending.Count > 0)
        {
            var (path, node) = pending.Pop();
            yield return (path, node);
            DataNode[] children;
            lock (node.Sync) children = node.ChildNodesLocked();
            foreach (var child in children) pending.Push((path + "/" + child.Name, child));
        }
    }

    private static List<ACL> CopyAcls(IReadOnlyList<ACL> acls)
    {
        var copy = new List<ACL>(acls.Count);
        foreach (var acl in acls)
            copy.Add(new ACL { Perms = acl.Perms, Id = new Id { Scheme = acl.Id.Scheme, IdValue = acl.Id.IdValue } });
        return copy;
    }

    private void AddConfigNode()
    {
        var proc = GetNode(SpecialPaths.Zookeeper)!;
        var config = NewSpecialNode(SpecialPaths.Config[(SpecialPaths.Zookeeper.Length + 1)..]);
        lock (proc.Sync)
        {
            // Java puts it in the map whatever was there: replace a child or orphan of that path.
            var replaced = proc.AddChildLocked(config);
            if (replaced is not null) Replaced(SpecialPaths.Config, replaced);
            else if (!ReplaceOrphan(SpecialPaths.Config)) Interlocked.Increment(ref _nodeCount);
        }
        lock (config.Sync) AddNodeDigest(SpecialPaths.Config, config);
        // Reconfig node is readable by anyone but writable by no one by default (ZOOKEEPER-2014);
        // this leaves its aversion at -1.
        TrySetAcl(SpecialPaths.Config, WellKnownAcls.ReadAclUnsafe(), -1, out _);
    }

    private static DataNode NewSpecialNode(string name) => new(name, [], AclCache.OpenUnsafeAclId, EphemeralType.Void);

    /// <summary>A node entered the tree where no node (nor orphan) of its path was: count it.</summary>
    private void AddToCounts(string path, DataNode node)
    {
        Interlocked.Increment(ref _nodeCount);
        lock (node.Sync) AddNodeDigest(path, node);
    }

    /// <summary>
    /// A new node took the place of <paramref name="old"/> at <paramref name="path"/> (Java's map put over
    /// an entry): the count stays, the old node's digest goes, its children stay reachable as orphans.
    /// </summary>
    private void Replaced(string path, DataNode old)
    {
        lock (old.Sync)
        {
            RemoveNodeDigest(path, old);
            old.Deleted = true;
            OrphanChildrenLocked(path, old);
        }
    }

    /// <summary>Before a new node goes in at <paramref name="path"/>: replaces the orphan there, if any. True if one was.</summary>
    private bool ReplaceOrphan(string path)
    {
        if (!TryRemoveOrphan(path, out var old)) return false;
        Replaced(path, old);
        return true;
    }

    /// <summary>Adds a node that a create or a load put in its parent's children: count, digest, orphan replaced.</summary>
    private void PutNode(string path, DataNode node)
    {
        if (!ReplaceOrphan(path)) Interlocked.Increment(ref _nodeCount);
        lock (node.Sync) AddNodeDigest(path, node);
    }

    /// <summary>
    /// The node at <paramref name="path"/> left the tree (already out of its parent's children, or an
    /// orphan): uncount it, drop its digest; its children become orphans, as they stay in Java's map.
    /// </summary>
    private void RemoveNode(string path, DataNode node)
    {
        Interlocked.Decrement(ref _nodeCount);
        lock (node.Sync)
        {
            RemoveNodeDigest(path, node);
            node.Deleted = true;
            OrphanChildrenLocked(path, node);
        }
    }

    private void OrphanChildrenLocked(string path, DataNode node)
    {
        if (node.ChildCountLocked == 0) return;
        foreach (var child in node.DetachChildrenLocked())
        {
            // A path is never both reachable and an orphan, so this adds, never replaces.
            if (_orphans.TryAdd(path + "/" + child.Name, child)) Interlocked.Increment(ref _orphanCount);
        }
    }

    private bool HasOrphans => Volatile.Read(ref _orphanCount) != 0;

    private bool TryRemoveOrphan(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DataNode? node)
    {
        node = null;
        if (!HasOrphans || !_orphans.TryRemove(path, out node)) return false;
        Interlocked.Decrement(ref _orphanCount);
        return true;
    }

    /// <summary>
    /// Interns short node names, so the many nodes that share a name (n000 … under every parent,
    /// "config", "state", …) share one string. A fixed set of slots, two per hash, newest first:
    /// a name in steady use stays, a name seen once is soon pushed out; memory stays bounded.
    /// Races between writers only cost a miss: slots hold whole string references.
    /// </summary>
    private sealed class NameCache
    {
        private const int MaxLength = 24;
        private const int Sets = 8192;
        private readonly string?[] _slots = new string?[Sets * 2];

        public string Get(ReadOnlySpan<char> name)
        {
            if (name.Length > MaxLength) return name.ToString();
            int set = (string.GetHashCode(name) & (Sets - 1)) * 2;
            string? first = _slots[set];
            if (first is not null && name.SequenceEqual(first)) return first;
            string? second = _slots[set + 1];
            if (second is not null && name.SequenceEqual(second))
            {
                (_slots[set], _slots[set + 1]) = (second, first);
                return second;
            }
            string made = name.ToString();
            _slots[set + 1] = first;
            _slots[set] = made;
            return made;
        }

        public string Get(ReadOnlySpan<byte> utf8)
        {
            if (utf8.Length > MaxLength || !System.Text.Ascii.IsValid(utf8)) return ZkCompat.Jute.JuteStrings.Decode(utf8);
            Span<char> chars = stackalloc char[utf8.Length];
            System.Text.Ascii.ToUtf16(utf8, chars, out _);
            return Get(chars);
        }
    }
}
