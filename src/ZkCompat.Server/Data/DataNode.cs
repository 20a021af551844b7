using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

/// <summary>
/// One znode: data, ACL reference, persisted stat and child names (Java's <c>DataNode</c>).
/// Only the <see cref="DataTree"/> changes a node, always holding <see cref="Sync"/>; other threads
/// read it through the copying members (<see cref="CopyStat"/>, <see cref="Children"/>, …), which
/// take the same lock.
/// </summary>
public sealed class DataNode
{
    private HashSet<string>? _children;

    internal DataNode(byte[]? data, long aclRef, StatPersisted stat, EphemeralType ephemeralType)
    {
        Data = data;
        AclRef = aclRef;
        Stat = stat;
        EphemeralType = ephemeralType;
    }

    /// <summary>
    /// Held while the node is changed or copied (Java's <c>synchronized (node)</c>). The node's own
    /// monitor: a separate lock object would cost ~40 bytes per node, 40 MB for a million.
    /// </summary>
    internal object Sync => this;

    /// <summary>The data. The array is never changed once stored: setData puts a new one in.</summary>
    public byte[]? Data { get; internal set; }

    /// <summary>Reference into the tree's <see cref="AclCache"/>.</summary>
    public long AclRef { get; internal set; }

    /// <summary>The stat as snapshots store it. Read-only outside the tree; copy it under <see cref="CopyStatPersisted"/>.</summary>
    public StatPersisted Stat { get; }

    /// <summary>What <c>Stat.EphemeralOwner</c> means, fixed when the node was made.</summary>
    public EphemeralType EphemeralType { get; }

    /// <summary>A copy of the child names (names, not paths).</summary>
    public IReadOnlyCollection<string> Children
    {
        get
        {
            lock (Sync) return _children is null || _children.Count == 0 ? [] : _children.ToArray();
        }
    }

    public int ChildCount
    {
        get { lock (Sync) return _children?.Count ?? 0; }
    }

    public bool HasChild(string name)
    {
        lock (Sync) return _children?.Contains(name) ?? false;
    }

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
                Czxid = Stat.Czxid,
                Mzxid = Stat.Mzxid,
                Ctime = Stat.Ctime,
                Mtime = Stat.Mtime,
                Version = Stat.Version,
                Cversion = Stat.Cversion,
                Aversion = Stat.Aversion,
                EphemeralOwner = Stat.EphemeralOwner,
                Pzxid = Stat.Pzxid,
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
        int numChildren = _children?.Count ?? 0;
        to.Czxid = Stat.Czxid;
        to.Mzxid = Stat.Mzxid;
        to.Ctime = Stat.Ctime;
        to.Mtime = Stat.Mtime;
        to.Version = Stat.Version;
        to.Cversion = Stat.Cversion * 2 - numChildren;
        to.Aversion = Stat.Aversion;
        to.EphemeralOwner = EphemeralTypes.ClientEphemeralOwner(EphemeralType, Stat.EphemeralOwner);
        to.DataLength = Data?.Length ?? 0;
        to.NumChildren = numChildren;
        to.Pzxid = Stat.Pzxid;
    }

    /// <summary>Call with <see cref="Sync"/> held.</summary>
    internal bool AddChildLocked(string name) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    /// <summary>Call with <see cref="Sync"/> held.</summary>
    internal bool HasChildLocked(string name) => _children?.Contains(name) ?? false;

    /// <summary>Call with <see cref="Sync"/> held.</summary>
    internal bool RemoveChildLocked(string name) => _children?.Remove(name) ?? false;

    /// <summary>Call with <see cref="Sync"/> held.</summary>
    internal string[] ChildrenLocked() => _children is null || _children.Count == 0 ? [] : _children.ToArray();
}
