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
        // An explicit stack: a chain of nodes can be far deeper than the call stack allows.
        var pending = new Stack<string>();
        pending.Push("");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            if (!_nodes.TryGetValue(path, out var node)) continue;

            byte[]? data;
            long aclRef;
            StatPersisted stat;
            string[] children;
            lock (node.Sync)
            {
                // The data array itself is never changed once stored, so it needs no copy.
                data = node.Data;
                aclRef = node.AclRef;
                stat = node.CopyStatPersisted();
                children = node.ChildrenLocked();
            }

            writer.WriteUString(path);
            writer.WriteBuffer(data);
            writer.WriteLong(aclRef);
            stat.Serialize(ref writer);

            // Reversed so that siblings come out in the set's order.
            for (int i = children.Length - 1; i >= 0; i--) pending.Push(path + "/" + children[i]);
        }
        writer.WriteUString("/");
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
        _nodes.Clear();
        _nodeCount = 0;
        ResetTreeDigest();
        _ephemerals.Clear();
        _containers.Clear();
        _ttls.Clear();

        string? path = reader.ReadUString();
        while (path != "/")
        {
            if (path is null) throw new JuteException("Invalid snapshot: null node path");
            var data = reader.ReadBuffer();
            long aclRef = reader.ReadLong();
            var stat = StatPersisted.Deserialize(ref reader);
            var ephemeralType = GetEphemeralType(stat.EphemeralOwner);
            var node = new DataNode(data, aclRef, stat, ephemeralType);
            PutNode(path, node);
            Acls.AddUsage(aclRef);

            int lastSlash = path.LastIndexOf('/');
            if (lastSlash == -1)
            {
                _root = node;
            }
            else
            {
                string parentPath = path[..lastSlash];
                if (!_nodes.TryGetValue(parentPath, out var parent))
                    throw new JuteException($"Invalid Datatree, unable to find parent {parentPath} of path {path}");
                lock (parent.Sync) parent.AddChildLocked(path[(lastSlash + 1)..]);
                switch (ephemeralType)
                {
                    case EphemeralType.Container:
                        _containers.TryAdd(path, 0);
                        break;
                    case EphemeralType.Ttl:
                        _ttls.TryAdd(path, 0);
                        break;
                    case EphemeralType.Normal:
                        _ephemerals.GetOrAdd(stat.EphemeralOwner, static _ => new HashSet<string>(StringComparer.Ordinal)).Add(path);
                        break;
                }
            }
            path = reader.ReadUString();
        }

        PutNode(SpecialPaths.Root, _root);
        Interlocked.Exchange(ref _nodeDataSize, ApproximateDataSize());
        // After the data size, as in Java: the recounted stats are not in it.
        SetupQuota();
        Acls.PurgeUnused();
    }
}
