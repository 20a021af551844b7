using System.Runtime.CompilerServices;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

/// <summary>
/// One znode: its name, data, ACL reference, persisted stat and children (Java's <c>DataNode</c>).
/// Only the <see cref="DataTree"/> changes a node, always holding <see cref="Sync"/>; other threads
/// read it through the copying members (<see cref="CopyStat"/>, <see cref="Children"/>, …), which
/// take the same lock. The child index alone is also read without the lock (path lookups).
/// </summary>
/// <remarks>
/// Laid out for a million nodes: the stat lives in the node's own fields (no StatPersisted per node),
/// the node holds only its name (the path is the walk from the root), and children are the nodes
/// themselves, indexed by name: none for a leaf, a small array, or a <see cref="ChildTable"/>.
/// </remarks>
public sealed class DataNode
{
    // Up to this many children live in a plain array (searched linearly, replaced whole on change).
    internal const int SmallChildLimit = 8;

    // null (no children), DataNode[] (immutable once published) or ChildTable. Read without the
    // lock by path lookups, so every change publishes with a release write.
    private object? _children;
    private byte _ephemeralType;

    // The persisted stat (StatPersisted's fields). Written only under Sync.
    internal long Czxid;
    internal long Mzxid;
    internal long Ctime;
    internal long Mtime;
    internal int Version;
    internal int Cversion;
    internal int Aversion;
    internal long EphemeralOwner;
    internal long Pzxid;

    /// <summary>Set (under <see cref="Sync"/>) once the node left the tree: a fuzzy snapshot walk skips it.</summary>
    internal bool Deleted;

    internal DataNode(string name, byte[]? data, long aclRef, EphemeralType ephemeralType)
    {
        Name = name;
        Data = data;
        AclRef = aclRef;
        _ephemeralType = (byte)ephemeralType;
    }

    internal DataNode(string name, byte[]? data, long aclRef, StatPersisted stat, EphemeralType ephemeralType)
        : this(name, data, aclRef, ephemeralType)
    {
        Czxid = stat.Czxid;
        Mzxid = stat.Mzxid;
        Ctime = stat.Ctime;
        Mtime = stat.Mtime;
        Version = stat.Version;
        Cversion = stat.Cversion;
        Aversion = stat.Aversion;
        EphemeralOwner = stat.EphemeralOwner;
        Pzxid = stat.Pzxid;
    }

    /// <summary>
    /// Held while the node is changed or copied (Java's <c>synchronized (node)</c>). The node's own
    /// monitor: a separate lock object would cost ~40 bytes per node, 40 MB for a million.
    /// </summary>
    internal object Sync => this;

    /// <summary>The last path component ("" for the root).</summary>
    public string Name { get; }

    /// <summary>The data. The array is never changed once stored: setData puts a new one in.</summary>
    public byte[]? Data { get; internal set; }

    /// <summary>Reference into the tree's <see cref="AclCache"/>.</summary>
    public long AclRef { get; internal set; }

    /// <summary>A copy of the stat as snapshots store it (same as <see cref="CopyStatPersisted"/>).</summary>
    public StatPersisted Stat => CopyStatPersisted();

    /// <summary>What the stored ephemeralOwner means, fixed when the node was made.</summary>
    public EphemeralType EphemeralType => (EphemeralType)_ephemeralType;

    /// <summary>A copy of the child names (names, not paths).</summary>
    public IReadOnlyCollection<string> Children
    {
        get
        {
            lock (Sync) return ChildrenLocked();
        }
    }

    public int ChildCount
    {
        get { lock (Sync) return ChildCountLocked; }
    }

    public bool HasChild(string name) => GetChild(name) is not null;

    /// <summary>
    /// Fills <paramref name="to"/> as clients see it (Java's <c>DataNode.copyStat</c>): the stored
    /// cversion counts child creates, the reported one creates and deletes, i.e.
    /// <c>2 × stored − numChildren</c>; containers and TTL nodes report ephemeralOwner 0.
    /// </summary>
    public void CopyStat(Stat to)
    {
        lock (Sync) CopyStatLocked(to);
    }

    /// <summary>A copy of the persisted stat.</summary>
    public StatPersisted CopyStatPersisted()
    {
        lock (Sync)
        {
            return new StatPersisted
            {
                Czxid = Czxid,
                Mzxid = Mzxid,
                Ctime = Ctime,
                Mtime = Mtime,
                Version = Version,
                Cversion = Cversion,
                Aversion = Aversion,
                EphemeralOwner = EphemeralOwner,
                Pzxid = Pzxid,
            };
        }
    }

    /// <summary>The data and a copy of the stat read together.</summary>
    public byte[]? GetData(Stat stat)
    {
        lock (Sync)
        {
            CopyStatLocked(stat);
            return Data;
        }
    }

    internal void CopyStatLocked(Stat to)
    {
        int numChildren = ChildCountLocked;
        to.Czxid = Czxid;
        to.Mzxid = Mzxid;
        to.Ctime = Ctime;
        to.Mtime = Mtime;
        to.Version = Version;
        to.Cversion = Cversion * 2 - numChildren;
        to.Aversion = Aversion;
        to.EphemeralOwner = EphemeralTypes.ClientEphemeralOwner(EphemeralType, EphemeralOwner);
        to.DataLength = Data?.Length ?? 0;
        to.NumChildren = numChildren;
        to.Pzxid = Pzxid;
    }

    /// <summary>Sets the stat of a node made by a create (all zxids the create's, versions 0).</summary>
    internal void InitStat(long zxid, long time, long ephemeralOwner)
    {
        Czxid = Mzxid = Pzxid = zxid;
        Ctime = Mtime = time;
        EphemeralOwner = ephemeralOwner;
    }

    /// <summary>Call with <see cref="Sync"/> held.</summary>
    internal int ChildCountLocked => _children switch
    {
        null => 0,
        DataNode[] small => small.Length,
        ChildTable table => table.Count,
        _ => 0,
    };

    /// <summary>The child named <paramref name="name"/>, or null. Needs no lock: safe alongside a writer.</summary>
    internal DataNode? GetChild(ReadOnlySpan<char> name)
    {
        var children = Volatile.Read(ref _children);
        if (children is null) return null;
        if (children is DataNode[] small)
        {
            foreach (var child in small)
            {
                if (name.SequenceEqual(child.Name)) return child;
            }
            return null;
        }
        return Unsafe.As<ChildTable>(children).Find(name);
    }

    /// <summary>Call with <see cref="Sync"/> held.</summary>
    internal bool HasChildLocked(string name) => GetChild(name) is not null;

    /// <summary>
    /// Adds <paramref name="child"/>, in place of the child of the same name if there is one.
    /// Call with <see cref="Sync"/> held.
    /// </summary>
    /// <returns>The child replaced, or null.</returns>
    internal DataNode? AddChildLocked(DataNode child)
    {
        switch (_children)
        {
            case null:
                Volatile.Write(ref _children, new[] { child });
                return null;
            case DataNode[] small:
                for (int i = 0; i < small.Length; i++)
                {
                    if (small[i].Name != child.Name) continue;
                    var old = small[i];
                    var copy = (DataNode[])small.Clone();
                    copy[i] = child;
                    Volatile.Write(ref _children, copy);
                    return old;
                }
                if (small.Length < SmallChildLimit)
                {
                    var grown = new DataNode[small.Length + 1];
                    small.CopyTo(grown, 0);
                    grown[^1] = child;
                    Volatile.Write(ref _children, grown);
                }
                else
                {
                    var table = new ChildTable(small.Length + 1);
                    foreach (var node in small) table.AddOrReplace(node);
                    table.AddOrReplace(child);
                    Volatile.Write(ref _children, table);
                }
                return null;
            default:
                return Unsafe.As<ChildTable>(_children).AddOrReplace(child);
        }
    }

    /// <summary>Removes the child named <paramref name="name"/>. Call with <see cref="Sync"/> held.</summary>
    /// <returns>The child removed, or null if there was none.</returns>
    internal DataNode? RemoveChildLocked(string name)
    {
        switch (_children)
        {
            case DataNode[] small:
                int at = -1;
                for (int i = 0; i < small.Length; i++)
                {
                    if (small[i].Name == name)
                    {
                        at = i;
                        break;
                    }
                }
                if (at < 0) return null;
                var removed = small[at];
                if (small.Length == 1)
                {
                    Volatile.Write(ref _children, null);
                }
                else
                {
                    var shrunk = new DataNode[small.Length - 1];
                    Array.Copy(small, 0, shrunk, 0, at);
                    Array.Copy(small, at + 1, shrunk, at, shrunk.Length - at);
                    Volatile.Write(ref _children, shrunk);
                }
                return removed;
            case ChildTable table:
                var gone = table.Remove(name);
                if (gone is not null && table.Count == 0) Volatile.Write(ref _children, null);
                return gone;
            default:
                return null;
        }
    }

    /// <summary>The child names. Call with <see cref="Sync"/> held.</summary>
    internal string[] ChildrenLocked()
    {
        switch (_children)
        {
            case DataNode[] small:
                var names = new string[small.Length];
                for (int i = 0; i < small.Length; i++) names[i] = small[i].Name;
                return names;
            case ChildTable table:
                return table.Names();
            default:
                return [];
        }
    }

    /// <summary>The child nodes. Call with <see cref="Sync"/> held.</summary>
    internal DataNode[] ChildNodesLocked() => _children switch
    {
        DataNode[] small => small,
        ChildTable table => table.Nodes(),
        _ => [],
    };

    /// <summary>Drops every child (the node left the tree with them: they become orphans). Call with <see cref="Sync"/> held.</summary>
    internal DataNode[] DetachChildrenLocked()
    {
        var children = ChildNodesLocked();
        Volatile.Write(ref _children, null);
        return children;
    }
}

/// <summary>
/// The children of a node with many: the child nodes in the order they were added (so a snapshot
/// written, loaded and written again comes out the same), and an open-addressing index over them by
/// <see cref="DataNode.Name"/> (linear probing, at most 3/4 full, tombstones). One writer at a time
/// (the parent's lock); lookups need no lock: entries and index slots change by single writes, and
/// a rebuilt table is published whole.
/// </summary>
internal sealed class ChildTable
{
    private const int Empty = 0;
    private const int Tombstone = -1;

    // Index slots hold entry position + 1 (0 empty, -1 removed); entries hold nodes, null once removed.
    private sealed class State(int[] index, DataNode?[] entries)
    {
        public readonly int[] Index = index;
        public readonly DataNode?[] Entries = entries;
    }

    private State _state;
    private int _count;
    // Entries used so far, holes from removals included: the next one goes here.
    private int _end;

    public ChildTable(int expected) => _state = NewState(EntriesFor(expected));

    public int Count => _count;

    public DataNode? Find(ReadOnlySpan<char> name)
    {
        var state = Volatile.Read(ref _state);
        var index = state.Index;
        var entries = state.Entries;
        int mask = index.Length - 1;
        int i = string.GetHashCode(name) & mask;
        while (true)
        {
            int at = Volatile.Read(ref index[i]);
            if (at == Empty) return null;
            if (at > 0 && Volatile.Read(ref entries[at - 1]) is { } node && name.SequenceEqual(node.Name)) return node;
            i = (i + 1) & mask;
        }
    }

    /// <summary>Adds <paramref name="node"/>, in place of the entry of the same name if there is one (returned).</summary>
    public DataNode? AddOrReplace(DataNode node)
    {
        var state = _state;
        int slot = FindSlot(state, node.Name);
        if (slot >= 0)
        {
            int at = state.Index[slot] - 1;
            var old = state.Entries[at]!;
            Volatile.Write(ref state.Entries[at], node);
            return old;
        }

        if (_end == state.Entries.Length)
        {
            Rebuild(_count + 1);
            state = _state;
        }
        int entry = _end++;
        Volatile.Write(ref state.Entries[entry], node);
        int mask = state.Index.Length - 1;
        int i = string.GetHashCode(node.Name.AsSpan()) & mask;
        // The first free slot, removed ones included: the name is known to be absent.
        while (state.Index[i] > 0) i = (i + 1) & mask;
        Volatile.Write(ref state.Index[i], entry + 1);
        _count++;
        return null;
    }

    public DataNode? Remove(string name)
    {
        var state = _state;
        int slot = FindSlot(state, name);
        if (slot < 0) return null;
        int at = state.Index[slot] - 1;
        var node = state.Entries[at];
        Volatile.Write(ref state.Entries[at], null);
        // A tombstone, not an empty slot: a lookup probing past here must go on.
        Volatile.Write(ref state.Index[slot], Tombstone);
        _count--;
        // Far emptier than its size (many deletes): rebuild smaller.
        if (_count > 0 && state.Entries.Length > 16 && _count * 8L < state.Entries.Length) Rebuild(_count);
        return node;
    }

    public string[] Names()
    {
        var names = new string[_count];
        int n = 0;
        var entries = _state.Entries;
        for (int i = 0; i < _end; i++)
        {
            if (entries[i] is { } node) names[n++] = node.Name;
        }
        return names;
    }

    public DataNode[] Nodes()
    {
        var nodes = new DataNode[_count];
        int n = 0;
        var entries = _state.Entries;
        for (int i = 0; i < _end; i++)
        {
            if (entries[i] is { } node) nodes[n++] = node;
        }
        return nodes;
    }

    private static int FindSlot(State state, string name)
    {
        var index = state.Index;
        int mask = index.Length - 1;
        int i = string.GetHashCode(name.AsSpan()) & mask;
        while (true)
        {
            int at = index[i];
            if (at == Empty) return -1;
            if (at > 0 && state.Entries[at - 1] is { } node && node.Name == name) return i;
            i = (i + 1) & mask;
        }
    }

    // Entries for count with a quarter to spare, a power of two.
    private static int EntriesFor(int count) =>
        (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count + count / 4 + 1));

    // Index slots ≥ 4/3 of the entries: every used slot (live or removed) has an entry, so the
    // index can never be more than 3/4 full.
    private static State NewState(int entries) =>
        new(new int[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)(entries + entries / 3 + 1))], new DataNode?[entries]);

    // Compacts the entries (order kept) into a fresh state sized for count, published whole.
    private void Rebuild(int count)
    {
        var state = NewState(EntriesFor(count));
        var old = _state.Entries;
        int mask = state.Index.Length - 1;
        int n = 0;
        for (int e = 0; e < _end; e++)
        {
            if (old[e] is not { } node) continue;
            state.Entries[n] = node;
            int i = string.GetHashCode(node.Name.AsSpan()) & mask;
            while (state.Index[i] != Empty) i = (i + 1) & mask;
            state.Index[i] = ++n;
        }
        _end = n;
        Volatile.Write(ref _state, state);
    }
}
