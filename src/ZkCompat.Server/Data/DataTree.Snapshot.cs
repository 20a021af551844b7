using System.Buffers;
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
        // An explicit stack: a chain of nodes can be far deeper than the call stack allows.
        private readonly Stack<(DataNode Node, int Depth)> _pending = new();
        // The path of the node being written, in its stored (ustring) form, built from the names
        // on the way down: _pathEnd[d] is where the path of the last node written at depth d ends.
        private byte[] _path = new byte[256];
        private int[] _pathEnd = new int[32];
        private bool _done;

        internal SnapshotNodeWriter(DataTree tree) => _pending.Push((Volatile.Read(ref tree._root), 0));

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
                var (node, depth) = _pending.Pop();
                WriteNode(ref writer, node, depth);
            }
            return _done;
        }

        private void WriteNode(ref JuteWriter writer, DataNode node, int depth)
        {
            byte[]? data;
            long aclRef;
            DataNode[] children;
            // The stat is copied field by field (StatPersisted's jute order), not as a new record per node.
            long czxid, mzxid, ctime, mtime, ephemeralOwner, pzxid;
            int version, cversion, aversion;
            lock (node.Sync)
            {
                // Deleted since its parent was written: a fuzzy snapshot just leaves it out.
                if (node.Deleted) return;
                // The data array itself is never changed once stored, so it needs no copy.
                data = node.Data;
                aclRef = node.AclRef;
                (czxid, mzxid, ctime, mtime) = (node.Czxid, node.Mzxid, node.Ctime, node.Mtime);
                (version, cversion, aversion) = (node.Version, node.Cversion, node.Aversion);
                (ephemeralOwner, pzxid) = (node.EphemeralOwner, node.Pzxid);
                children = node.ChildNodesLocked();
            }

            int pathLength = AppendName(node.Name, depth);
            writer.WriteInt(pathLength);
            writer.WriteRaw(_path.AsSpan(0, pathLength));
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

            // Reversed so that siblings come out in the index's order.
            for (int i = children.Length - 1; i >= 0; i--) _pending.Push((children[i], depth + 1));
        }

        /// <summary>The path at <paramref name="depth"/>: the parent's (depth − 1), "/", the name. Returns its length.</summary>
        private int AppendName(string name, int depth)
        {
            if (depth >= _pathEnd.Length) Array.Resize(ref _pathEnd, _pathEnd.Length * 2);
            if (depth == 0)
            {
                // The root is written as "".
                _pathEnd[0] = 0;
                return 0;
            }
            int start = _pathEnd[depth - 1];
            int end = start + 1 + JuteStrings.GetByteCount(name);
            if (end > _path.Length) Array.Resize(ref _path, Math.Max(end, _path.Length * 2));
            _path[start] = (byte)'/';
            // Per name, as jute encodes the whole path: no character spans a '/'.
            JuteStrings.Encode(name, _path.AsSpan(start + 1));
            _pathEnd[depth] = end;
            return end;
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
        // A placeholder until the snapshot's root ("") is read; nothing may hang below it.
        Volatile.Write(ref _root, NewSpecialNode(""));
        _nodeCount = 0;
        ResetTreeDigest();
        _orphans.Clear();
        _orphanCount = 0;
        _ephemerals.Clear();
        _containers.Clear();
        _ttls.Clear();
        return new SnapshotNodeLoader(this);
    }

    /// <summary>
    /// The node part of a snapshot load, the hot loop of a restart: digests, data size and ACL use
    /// are tallied here and applied once; a node's path is used as read (no path string is made
    /// unless the node is ephemeral, a container or a TTL node), and its parent is found without a
    /// lookup when it is the previous node or the previous node's parent (pre-order puts a node
    /// right after its parent or its previous sibling).
    /// </summary>
    public sealed class SnapshotNodeLoader
    {
        private readonly DataTree _tree;
        private readonly bool _digestEnabled;
        private readonly Dictionary<long, long> _aclUses = [];
        private long _digestSum;
        private long _dataSize;
        private bool _replaced;
        private bool _rootLoaded;
        private long _lastAclRef;
        private long _lastAclUses;
        // The paths (as stored) of the previous node and of the last parent found, and those nodes.
        private byte[] _previousPath = new byte[256];
        private int _previousLength = -1;
        private DataNode? _previousNode;
        private byte[] _parentPath = new byte[256];
        private int _parentLength = -1;
        private DataNode? _parent;
        // A path split over input segments, copied whole.
        private byte[] _scratch = [];

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
            var path = ReadPath(ref reader);
            if (path.Length == 1 && path[0] == (byte)'/') return false;
            var data = reader.ReadBuffer();
            long aclRef = reader.ReadLong();
            // StatPersisted's fields in jute order, straight into the node.
            long czxid = reader.ReadLong();
            long mzxid = reader.ReadLong();
            long ctime = reader.ReadLong();
            long mtime = reader.ReadLong();
            int version = reader.ReadInt();
            int cversion = reader.ReadInt();
            int aversion = reader.ReadInt();
            long ephemeralOwner = reader.ReadLong();
            long pzxid = reader.ReadLong();

            var tree = _tree;
            int lastSlash = path.LastIndexOf((byte)'/');
            DataNode? parent = lastSlash == -1 ? null : FindParent(path, lastSlash);
            string name = lastSlash == -1 ? "" : tree._names.Get(path[(lastSlash + 1)..]);
            var ephemeralType = tree.GetEphemeralType(ephemeralOwner);
            var node = new DataNode(name, data, aclRef, ephemeralType)
            {
                Czxid = czxid,
                Mzxid = mzxid,
                Ctime = ctime,
                Mtime = mtime,
                Version = version,
                Cversion = cversion,
                Aversion = aversion,
                EphemeralOwner = ephemeralOwner,
                Pzxid = pzxid,
            };

            DataNode? replaced;
            if (parent is null)
            {
                // Java makes any path without a '/' the root.
                replaced = _rootLoaded ? tree._root : null;
                Volatile.Write(ref tree._root, node);
                _rootLoaded = true;
            }
            else
            {
                lock (parent.Sync) replaced = parent.AddChildLocked(node);
            }

            string? pathString = System.Text.Ascii.IsValid(path) ? null : Decode(path);
            if (replaced is not null || (tree.HasOrphans && tree._orphans.ContainsKey(pathString ??= Decode(path))))
            {
                // Java's map put over an entry of the same path (a malformed snapshot): the old node goes.
                pathString ??= Decode(path);
                if (replaced is not null)
                {
                    tree.Replaced(pathString, replaced);
                    lock (node.Sync) tree.AddNodeDigest(pathString, node);
                }
                else
                {
                    tree.PutNode(pathString, node);
                }
                _replaced = true;
            }
            else
            {
                tree._nodeCount++;
                if (_digestEnabled)
                {
                    _digestSum += pathString is null
                        ? DigestCalculator.CalculateDigestAscii(path, node)
                        : DigestCalculator.CalculateDigest(pathString, node);
                }
                _dataSize += (pathString?.Length ?? path.Length) + (data?.Length ?? 0);
            }
            CountAclUse(aclRef);

            if (parent is not null && ephemeralType != EphemeralType.Void)
            {
                pathString ??= Decode(path);
                switch (ephemeralType)
                {
                    case EphemeralType.Container:
                        tree._containers.TryAdd(pathString, 0);
                        break;
                    case EphemeralType.Ttl:
                        tree._ttls.TryAdd(pathString, 0);
                        break;
                    case EphemeralType.Normal:
                        tree._ephemerals.GetOrAdd(ephemeralOwner, static _ => new HashSet<string>(StringComparer.Ordinal)).Add(pathString);
                        break;
                }
            }

            if (path.Length > _previousPath.Length) _previousPath = new byte[Math.Max(path.Length, _previousPath.Length * 2)];
            path.CopyTo(_previousPath);
            (_previousLength, _previousNode) = (path.Length, node);
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

        private static string Decode(ReadOnlySpan<byte> path) => JuteStrings.Decode(path);

        /// <summary>A node's path (a ustring) as its stored bytes, valid until the next read.</summary>
        private ReadOnlySpan<byte> ReadPath(ref JuteReader reader)
        {
            int length = reader.ReadInt();
            if (length == -1) throw new JuteException("Invalid snapshot: null node path");
            // Java's checkLength, as for any ustring.
            if (length < 0 || length > reader.Limits.MaxFieldLength)
                throw new JuteLengthException("ustring", length, reader.Limits.MaxFieldLength);
            var raw = reader.ReadRaw(length);
            if (raw.IsSingleSegment) return raw.FirstSpan;
            if (_scratch.Length < length) _scratch = new byte[Math.Max(length, 256)];
            raw.CopyTo(_scratch.AsSpan());
            return _scratch.AsSpan(0, length);
        }

        private DataNode FindParent(ReadOnlySpan<byte> path, int lastSlash)
        {
            var parentPath = path[..lastSlash];
            if (_parent is not null && parentPath.SequenceEqual(_parentPath.AsSpan(0, _parentLength))) return _parent;
            if (_previousNode is not null && parentPath.SequenceEqual(_previousPath.AsSpan(0, _previousLength)))
            {
                // The previous node's path becomes the parent's: swap the buffers, the next node refills the other.
                (_parentPath, _previousPath) = (_previousPath, _parentPath);
                (_parentLength, _parent) = (_previousLength, _previousNode);
                _previousLength = -1;
                return _parent;
            }
            string parentName = Decode(parentPath);
            var parent = (_rootLoaded ? _tree.GetNode(parentName) : null)
                ?? throw new JuteException($"Invalid Datatree, unable to find parent {parentName} of path {Decode(path)}");
            if (_parentPath.Length < parentPath.Length) _parentPath = new byte[Math.Max(parentPath.Length, _parentPath.Length * 2)];
            parentPath.CopyTo(_parentPath);
            (_parentLength, _parent) = (parentPath.Length, parent);
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
        // The "/" alias: an entry of Java's map, without a digest of its own.
        _nodeCount++;
        // The "/" alias counts in the size as a map entry of its own.
        Interlocked.Exchange(ref _nodeDataSize, dataSize is { } size ? size + NodeSize(SpecialPaths.Root, _root.Data) : ApproximateDataSize());
        // After the data size, as in Java: the recounted stats are not in it.
        SetupQuota();
        Acls.PurgeUnused();
    }
}
