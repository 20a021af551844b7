using ZkCompat.Jute;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

// The tree's part of a snapshot (Java's DataTree.serialize/deserialize): the ACL map, then each
// node as (path, data, acl ref, StatPersisted) in pre-order from the root (path ""), then "/".
// The file header, sessions, checksums and digest around it belong to Persistence.
public sealed partial class DataTree
{
    /// <summary>
    /// Writes the ACL map and the nodes. Safe while txns are applied (the snapshot is then fuzzy,
    /// which replay from the log repairs): each node is copied under its lock.
    /// </summary>
    public void Serialize(ref JuteWriter writer)
    {
        Acls.Serialize(ref writer);
        SerializeNodes(ref writer);
    }

    /// <summary>Writes every node reachable from the root, then the end marker "/".</summary>
    public void SerializeNodes(ref JuteWriter writer)
    {
        var nodes = BeginNodeWrite();
        while (!nodes.WriteNodes(ref writer, long.MaxValue)) { }
    }

    /// <summary>
    /// Starts a pre-order walk that writes the nodes a piece at a time (a SNAP stream sent to a
    /// learner, flushed between pieces), with the same output as <see cref="SerializeNodes"/>.
    /// </summary>
    public SnapshotNodeWriter BeginNodeWrite() => new(this);

    /// <summary>A resumable walk over the nodes for the snapshot form; one writer, one thread.</summary>
    public sealed class SnapshotNodeWriter
    {
        private readonly DataTree _tree;
        // An explicit stack: a chain of nodes can be far deeper than the call stack allows.
        private readonly Stack<string> _pending = new();
        private bool _done;

        internal SnapshotNodeWriter(DataTree tree)
        {
            _tree = tree;
            _pending.Push("");
        }

        /// <summary>
        /// Writes nodes until <paramref name="writer"/> holds at least <paramref name="untilBytesWritten"/>
        /// bytes or the walk ends; true once the end marker "/" is written.
        /// </summary>
        public bool WriteNodes(ref JuteWriter writer, long untilBytesWritten)
        {
            while (!_done && writer.BytesWritten < untilBytesWritten)
            {
                if (_pending.Count == 0)
                {
                    writer.WriteUString("/");
                    _done = true;
                    break;
                }
                WriteNode(ref writer, _pending.Pop());
            }
            return _done;
        }

        private void WriteNode(ref JuteWriter writer, string path)
        {
            // Deleted since its parent was written: a fuzzy snapshot just leaves it out.
            if (!_tree._nodes.TryGetValue(path, out var node)) return;

            byte[]? data;
            long aclRef;
            string[] children;
            // The stat is copied field by field (StatPersisted's jute order), not as a new record per node.
            long czxid, mzxid, ctime, mtime, ephemeralOwner, pzxid;
            int version, cversion, aversion;
            lock (node.Sync)
            {
                // The data array itself is never changed once stored, so it needs no copy.
                data = node.Data;
                aclRef = node.AclRef;
                var stat = node.Stat;
                (czxid, mzxid, ctime, mtime) = (stat.Czxid, stat.Mzxid, stat.Ctime, stat.Mtime);
                (version, cversion, aversion) = (stat.Version, stat.Cversion, stat.Aversion);
                (ephemeralOwner, pzxid) = (stat.EphemeralOwner, stat.Pzxid);
                children = node.ChildrenLocked();
            }

            writer.WriteUString(path);
            writer.WriteBuffer(data);
            writer.WriteLong(aclRef);
            writer.WriteLong(czxid);
            writer.WriteLong(mzxid);
            writer.WriteLong(ctime);
            writer.WriteLong(mtime);
            writer.WriteInt(version);
            writer.WriteInt(cversion);
            writer.WriteInt(aversion);
            writer.WriteLong(ephemeralOwner);
            writer.WriteLong(pzxid);

            // Reversed so that siblings come out in the set's order.
            for (int i = children.Length - 1; i >= 0; i--) _pending.Push(path + "/" + children[i]);
        }
    }

    /// <summary>
    /// Replaces the ACL map and the nodes with a snapshot's, rebuilding the child sets and the
    /// ephemeral/container/TTL indexes. For a tree no one else uses yet; watches and
    /// <see cref="LastProcessedZxid"/> are left alone.
    /// </summary>
    /// <exception cref="JuteException">Malformed input, or a node listed before its parent.</exception>
    public void Deserialize(ref JuteReader reader)
    {
        Acls.Deserialize(ref reader);
        var loader = BeginNodeLoad();
        while (loader.ReadNode(ref reader)) { }
        loader.Complete();
    }

    /// <summary>
    /// Clears the nodes for a load piece by piece (a streamed snapshot): feed each node to
    /// <see cref="SnapshotNodeLoader.ReadNode"/>, then call <see cref="SnapshotNodeLoader.Complete"/>.
    /// The ACL map must be loaded first.
    /// </summary>
    public SnapshotNodeLoader BeginNodeLoad()
    {
        _nodes.Clear();
        _nodeCount = 0;
        ResetTreeDigest();
        _ephemerals.Clear();
        _containers.Clear();
        _ttls.Clear();
        return new SnapshotNodeLoader(this);
    }

    /// <summary>
    /// The node part of a snapshot load, the hot loop of a restart: digests, data size and ACL use
    /// are tallied here and applied once, and a parent is found without allocating its path
    /// (pre-order puts a node right after its parent or its previous sibling).
    /// </summary>
    public sealed class SnapshotNodeLoader
    {
        private readonly DataTree _tree;
        private readonly bool _digestEnabled;
        private readonly Dictionary<long, long> _aclUses = [];
        private long _digestSum;
        private long _dataSize;
        private bool _replaced;
        private long _lastAclRef;
        private long _lastAclUses;
        private string _previousPath = "";
        private DataNode? _previousNode;
        private string _parentPath = "";
        private DataNode? _parent;

        internal SnapshotNodeLoader(DataTree tree)
        {
            _tree = tree;
            _digestEnabled = tree._digestEnabled;
        }

        /// <summary>
        /// Reads one node; false when it read the end marker "/" instead. Changes nothing unless the
        /// whole node could be read, so a short read may be retried with more input.
        /// </summary>
        /// <exception cref="JuteException">Malformed input, or a node listed before its parent.</exception>
        public bool ReadNode(ref JuteReader reader)
        {
            string? path = reader.ReadUString();
            if (path == "/") return false;
            if (path is null) throw new JuteException("Invalid snapshot: null node path");
            var data = reader.ReadBuffer();
            long aclRef = reader.ReadLong();
            var stat = StatPersisted.Deserialize(ref reader);

            var tree = _tree;
            int lastSlash = path.LastIndexOf('/');
            DataNode? parent = null;
            if (lastSlash != -1) parent = FindParent(path, lastSlash);

            var ephemeralType = tree.GetEphemeralType(stat.EphemeralOwner);
            var node = new DataNode(data, aclRef, stat, ephemeralType);
            if (tree._nodes.TryAdd(path, node))
            {
                tree._nodeCount++;
                if (_digestEnabled) _digestSum += NodeDigest(path, node);
                _dataSize += NodeSize(path, data);
            }
            else
            {
                tree.PutNode(path, node);
                _replaced = true;
                // The cached parent may be the node just replaced.
                _parent = null;
            }
            CountAclUse(aclRef);

            if (parent is null)
            {
                tree._root = node;
            }
            else
            {
                lock (parent.Sync) parent.AddChildLocked(path[(lastSlash + 1)..]);
                switch (ephemeralType)
                {
                    case EphemeralType.Container:
                        tree._containers.TryAdd(path, 0);
                        break;
                    case EphemeralType.Ttl:
                        tree._ttls.TryAdd(path, 0);
                        break;
                    case EphemeralType.Normal:
                        tree._ephemerals.GetOrAdd(stat.EphemeralOwner, static _ => new HashSet<string>(StringComparer.Ordinal)).Add(path);
                        break;
                }
            }
            (_previousPath, _previousNode) = (path, node);
            return true;
        }

        /// <summary>Applies the tallies and rebuilds what depends on the whole tree.</summary>
        public void Complete()
        {
            if (_lastAclUses > 0) _aclUses[_lastAclRef] = _aclUses.GetValueOrDefault(_lastAclRef) + _lastAclUses;
            foreach (var (aclRef, uses) in _aclUses) _tree.Acls.AddUsage(aclRef, uses);
            if (_digestEnabled) Interlocked.Add(ref _tree._treeDigest, _digestSum);
            _tree.FinishLoad(_replaced ? null : _dataSize);
        }

        private DataNode FindParent(string path, int lastSlash)
        {
            var parentSpan = path.AsSpan(0, lastSlash);
            if (_parent is not null && parentSpan.SequenceEqual(_parentPath)) return _parent;
            if (_previousNode is not null && parentSpan.SequenceEqual(_previousPath))
            {
                (_parentPath, _parent) = (_previousPath, _previousNode);
                return _parent;
            }
            string parentPath = path[..lastSlash];
            if (!_tree._nodes.TryGetValue(parentPath, out var parent))
                throw new JuteException($"Invalid Datatree, unable to find parent {parentPath} of path {path}");
            (_parentPath, _parent) = (parentPath, parent);
            return parent;
        }

        private void CountAclUse(long aclRef)
        {
            if (aclRef != _lastAclRef)
            {
                if (_lastAclUses > 0) _aclUses[_lastAclRef] = _aclUses.GetValueOrDefault(_lastAclRef) + _lastAclUses;
                _lastAclRef = aclRef;
                _lastAclUses = 0;
            }
            _lastAclUses++;
        }
    }

    /// <param name="dataSize">Path plus data length of the loaded entries, or null to recount.</param>
    private void FinishLoad(long? dataSize)
    {
        PutNode(SpecialPaths.Root, _root);
        // The "/" alias counts in the size as a map entry of its own.
        Interlocked.Exchange(ref _nodeDataSize, dataSize is { } size ? size + NodeSize(SpecialPaths.Root, _root.Data) : ApproximateDataSize());
        // After the data size, as in Java: the recounted stats are not in it.
        SetupQuota();
        Acls.PurgeUnused();
    }
}
