using System.Collections.Concurrent;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Watches;

namespace ZkCompat.Server.Data;

/// <summary>
/// The in-memory znode tree (Java's <c>DataTree</c>): a path → node map, the ACL cache, the
/// ephemeral/container/TTL indexes and the two watch managers. One thread applies txns
/// (<see cref="ProcessTxn"/>); any thread may read. Split over several files:
/// this one holds the state and the reads, <c>DataTree.Mutations.cs</c> the changes,
/// <c>DataTree.Txn.cs</c> txn dispatch, <c>DataTree.Watches.cs</c> watch registration and
/// <c>DataTree.Snapshot.cs</c> the snapshot form.
/// </summary>
public sealed partial class DataTree
{
    // The root is stored under both "" (how child paths find their parent and how snapshots name
    // it) and "/" (how clients name it), as in Java; the alias counts in NodeCount.
    private readonly ConcurrentDictionary<string, DataNode> _nodes = new(StringComparer.Ordinal);
    private DataNode _root;
    private int _nodeCount;

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

        _root = NewSpecialNode();
        PutNode("", _root);
        PutNode(SpecialPaths.Root, _root);

        var proc = NewSpecialNode();
        _root.AddChildLocked(SpecialPaths.Zookeeper[1..]);
        PutNode(SpecialPaths.Zookeeper, proc);

        proc.AddChildLocked(SpecialPaths.Quota[(SpecialPaths.Zookeeper.Length + 1)..]);
        PutNode(SpecialPaths.Quota, NewSpecialNode());

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

    public DataNode? GetNode(string path) => _nodes.GetValueOrDefault(path);

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

    private int CountDescendants(string path, DataNode node)
    {
        int count = 0;
        foreach (var name in node.Children)
        {
            string childPath = path + "/" + name;
            var child = GetNode(childPath);
            if (child is null) continue;
            count += 1 + CountDescendants(childPath, child);
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
        foreach (var (path, node) in _nodes)
        {
            lock (node.Sync) total += NodeSize(path, node.Data);
        }
        return total;
    }

    private static long NodeSize(string path, byte[]? data) => path.Length + (data?.Length ?? 0);

    private static List<ACL> CopyAcls(IReadOnlyList<ACL> acls)
    {
        var copy = new List<ACL>(acls.Count);
        foreach (var acl in acls)
            copy.Add(new ACL { Perms = acl.Perms, Id = new Id { Scheme = acl.Id.Scheme, IdValue = acl.Id.IdValue } });
        return copy;
    }

    private void AddConfigNode()
    {
        var proc = _nodes[SpecialPaths.Zookeeper];
        lock (proc.Sync) proc.AddChildLocked(SpecialPaths.Config[(SpecialPaths.Zookeeper.Length + 1)..]);
        PutNode(SpecialPaths.Config, NewSpecialNode());
        // Reconfig node is readable by anyone but writable by no one by default (ZOOKEEPER-2014);
        // this leaves its aversion at -1.
        TrySetAcl(SpecialPaths.Config, WellKnownAcls.ReadAclUnsafe(), -1, out _);
    }

    private static DataNode NewSpecialNode() => new([], AclCache.OpenUnsafeAclId, new StatPersisted(), EphemeralType.Void);

    /// <summary>Adds or replaces a map entry, keeping <see cref="NodeCount"/> in step.</summary>
    private void PutNode(string path, DataNode node)
    {
        if (_nodes.TryAdd(path, node))
        {
            Interlocked.Increment(ref _nodeCount);
        }
        else
        {
            if (_nodes.TryGetValue(path, out var old) && path != SpecialPaths.Root)
            {
                lock (old.Sync) RemoveNodeDigest(path, old);
            }
            _nodes[path] = node;
        }
        // The "/" alias is the root already counted under "" (Java's putWithoutDigest).
        if (path != SpecialPaths.Root)
        {
            lock (node.Sync) AddNodeDigest(path, node);
        }
    }

    private bool RemoveNode(string path, out DataNode? node)
    {
        if (!_nodes.TryRemove(path, out node)) return false;
        Interlocked.Decrement(ref _nodeCount);
        lock (node.Sync) RemoveNodeDigest(path, node);
        return true;
    }
}
