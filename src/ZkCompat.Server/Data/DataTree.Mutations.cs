using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

// The changes a txn makes. They report NoNode/NodeExists as a result code rather than by
// throwing: replaying a fuzzy snapshot's overlap hits them routinely.
public sealed partial class DataTree
{
    /// <summary>
    /// Adds a node (Java's <c>createNode</c>). The parent's stored cversion becomes
    /// <paramref name="parentCVersion"/> (its current value + 1 when -1 is passed) and its pzxid
    /// <paramref name="zxid"/>, but only if that raises the cversion: replaying a create whose node
    /// was created and deleted inside a fuzzy snapshot's range must not roll them back.
    /// Fires NodeCreated on the path and NodeChildrenChanged on the parent.
    /// </summary>
    internal ErrorCode TryCreateNode(string path, byte[]? data, IReadOnlyList<ACL>? acl, long ephemeralOwner,
        int parentCVersion, long zxid, long time, Stat? outputStat)
    {
        int lastSlash = path.LastIndexOf('/');
        var parent = GetNode(path.AsSpan(0, lastSlash));
        if (parent is null) return ErrorCode.NoNode;
        string parentName = path[..lastSlash];
        var childName = path.AsSpan(lastSlash + 1);
        var ephemeralType = GetEphemeralType(ephemeralOwner);

        lock (parent.Sync)
        {
            // The ACL is counted before the existence check, as in Java: during a fuzzy snapshot
            // sync the ACL must exist even if this create turns out to be a replay.
            long aclRef = Acls.ConvertAcls(acl);
            if (parent.GetChild(childName) is not null) return ErrorCode.NodeExists;

            if (parentCVersion == -1) parentCVersion = parent.Cversion + 1;
            if (parentCVersion > parent.Cversion)
            {
                RemoveNodeDigest(parentName, parent);
                parent.Cversion = parentCVersion;
                parent.Pzxid = zxid;
                AddNodeDigest(parentName, parent);
            }

            var child = new DataNode(_names.Get(childName), data, aclRef, ephemeralType);
            child.InitStat(zxid, time, ephemeralOwner);
            parent.AddChildLocked(child);
            Interlocked.Add(ref _nodeDataSize, NodeSize(path, data));
            PutNode(path, child);
            switch (ephemeralType)
            {
                case EphemeralType.Container:
                    _containers.TryAdd(path, 0);
                    break;
                case EphemeralType.Ttl:
                    _ttls.TryAdd(path, 0);
                    break;
                case EphemeralType.Normal:
                    var paths = _ephemerals.GetOrAdd(ephemeralOwner, static _ => new HashSet<string>(StringComparer.Ordinal));
                    lock (paths) paths.Add(path);
                    break;
            }
            if (outputStat is not null) child.CopyStat(outputStat);
        }

        UpdateQuotaOnCreate(path, parentName, path[(lastSlash + 1)..], data);
        DataWatches.TriggerWatch(path, EventType.NodeCreated, zxid);
        ChildWatches.TriggerWatch(parentName.Length == 0 ? SpecialPaths.Root : parentName, EventType.NodeChildrenChanged, zxid);
        return ErrorCode.Ok;
    }

    /// <summary>
    /// Removes a node (Java's <c>deleteNode</c>). The parent's pzxid is raised to <paramref name="zxid"/>
    /// even when the child turns out to be gone already (a fuzzy snapshot may have missed it).
    /// Fires NodeDeleted on the path (data then child watches, each watcher once) and
    /// NodeChildrenChanged on the parent. Children are not checked: the processor did that.
    /// </summary>
    internal ErrorCode TryDeleteNode(string path, long zxid)
    {
        int lastSlash = path.LastIndexOf('/');
        string parentName = path[..lastSlash];
        string childName = path[(lastSlash + 1)..];
        var parent = GetNode(parentName);
        if (parent is null) return ErrorCode.NoNode;

        DataNode? node;
        lock (parent.Sync)
        {
            node = parent.RemoveChildLocked(childName);
            // Only forward: a create replayed earlier may have set a higher one together with the cversion.
            if (zxid > parent.Pzxid)
            {
                RemoveNodeDigest(parentName, parent);
                parent.Pzxid = zxid;
                AddNodeDigest(parentName, parent);
            }
        }

        // Not among the parent's children: Java's map may still hold it, as an orphan.
        if (node is null && !TryRemoveOrphan(path, out node)) return ErrorCode.NoNode;
        RemoveNode(path, node);
        lock (node.Sync)
        {
            Acls.RemoveUsage(node.AclRef);
            Interlocked.Add(ref _nodeDataSize, -NodeSize(path, node.Data));
        }

        switch (node.EphemeralType)
        {
            case EphemeralType.Container:
                _containers.TryRemove(path, out _);
                break;
            case EphemeralType.Ttl:
                _ttls.TryRemove(path, out _);
                break;
            case EphemeralType.Normal:
                // The session's set stays even when emptied; closing the session removes it.
                if (_ephemerals.TryGetValue(node.EphemeralOwner, out var paths))
                {
                    lock (paths) paths.Remove(path);
                }
                break;
        }

        UpdateQuotaOnDelete(path, parentName, childName, node);
        var notified = DataWatches.TriggerWatch(path, EventType.NodeDeleted, zxid);
        ChildWatches.TriggerWatch(path, EventType.NodeDeleted, zxid, notified);
        ChildWatches.TriggerWatch(parentName.Length == 0 ? SpecialPaths.Root : parentName, EventType.NodeChildrenChanged, zxid);
        return ErrorCode.Ok;
    }

    /// <summary>
    /// Replaces the data (Java's <c>setData</c>): <paramref name="version"/> is the new version,
    /// already incremented by the processor. Fires NodeDataChanged.
    /// </summary>
    internal ErrorCode TrySetData(string path, byte[]? data, int version, long zxid, long time, out Stat? stat)
    {
        stat = null;
        var node = GetNode(path);
        if (node is null) return ErrorCode.NoNode;
        var result = new Stat();
        byte[]? lastData;
        lock (node.Sync)
        {
            lastData = node.Data;
            RemoveNodeDigest(path, node);
            node.Data = data;
            node.Mtime = time;
            node.Mzxid = zxid;
            node.Version = version;
            AddNodeDigest(path, node);
            node.CopyStatLocked(result);
        }
        Interlocked.Add(ref _nodeDataSize, (data?.Length ?? 0) - (lastData?.Length ?? 0));
        stat = result;

        UpdateQuotaOnSetData(path, lastData, data);
        DataWatches.TriggerWatch(path, EventType.NodeDataChanged, zxid);
        return ErrorCode.Ok;
    }

    /// <summary>
    /// Replaces the ACL (Java's <c>setACL</c>): <paramref name="version"/> is the new aversion.
    /// Fires nothing. The old list is released first, so re-setting a list used only here gives it
    /// a new reference, as in Java.
    /// </summary>
    internal ErrorCode TrySetAcl(string path, IReadOnlyList<ACL>? acl, int version, out Stat? stat)
    {
        stat = null;
        var node = GetNode(path);
        if (node is null) return ErrorCode.NoNode;
        var result = new Stat();
        lock (node.Sync)
        {
            Acls.RemoveUsage(node.AclRef);
            RemoveNodeDigest(path, node);
            node.Aversion = version;
            AddNodeDigest(path, node);
            node.AclRef = Acls.ConvertAcls(acl);
            node.CopyStatLocked(result);
        }
        stat = result;
        return ErrorCode.Ok;
    }

    /// <summary>
    /// Raises a node's stored cversion to <paramref name="newCversion"/> (current + 1 for -1) and sets
    /// its pzxid, if that raises it (Java's <c>setCversionPzxid</c>, used when a replayed create
    /// finds its node already there).
    /// </summary>
    internal ErrorCode TrySetCversionPzxid(string path, int newCversion, long zxid)
    {
        if (path.EndsWith('/')) path = path[..^1];
        var node = GetNode(path);
        if (node is null) return ErrorCode.NoNode;
        lock (node.Sync)
        {
            if (newCversion == -1) newCversion = node.Cversion + 1;
            if (newCversion > node.Cversion)
            {
                RemoveNodeDigest(path, node);
                node.Cversion = newCversion;
                node.Pzxid = zxid;
                AddNodeDigest(path, node);
            }
        }
        return ErrorCode.Ok;
    }

    /// <summary>Deletes every ephemeral of <paramref name="sessionId"/> (session expired or closed without a txn body).</summary>
    public void KillSession(long sessionId, long zxid) => KillSession(sessionId, zxid, pathsInTxn: null);

    /// <summary>
    /// Java's <c>killSession</c>: deletes the paths the closeSession txn lists, then any ephemeral of
    /// the session the txn did not list. Missing nodes are skipped.
    /// </summary>
    private void KillSession(long sessionId, long zxid, IReadOnlyList<string?>? pathsInTxn)
    {
        string[]? local = null;
        if (_ephemerals.TryRemove(sessionId, out var paths))
        {
            lock (paths) local = paths.ToArray();
        }

        HashSet<string>? listed = null;
        if (pathsInTxn is not null)
        {
            listed = new HashSet<string>(StringComparer.Ordinal);
            foreach (var path in pathsInTxn)
            {
                if (path is null) continue;
                listed.Add(path);
                TryDeleteNode(path, zxid);
            }
        }
        if (local is null) return;

        // Java logs these as unexpected when a txn was given; they are deleted all the same.
        foreach (var path in local)
        {
            if (listed is null || !listed.Contains(path)) TryDeleteNode(path, zxid);
        }
    }
}
