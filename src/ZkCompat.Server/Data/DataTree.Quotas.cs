namespace ZkCompat.Server.Data;

// Quota bookkeeping (Java's pTrie, updateQuotaStat, updateQuotaForPath, setupQuota): a
// zookeeper_limits node under /zookeeper/quota marks its path as quota'd, and every create, delete
// and setData in that subtree adds its count and bytes to the zookeeper_stats node of the deepest
// quota'd prefix. Enforcing the limits is the prep stage's job (Processors/QuotaChecker).
//
// Java's odd corners are kept on purpose, so that stats and data sizes agree with a Java server on
// the same history: stats updates are not added to the approximate data size. (The tree digest
// leaves /zookeeper/ out, so they never reach it.) Where Java would throw out of the apply (a
// limits node directly under /zookeeper/quota, malformed stats text) this tree skips the hook.
public sealed partial class DataTree
{
    private readonly PathTrie _quotaTrie = new();

    /// <summary>
    /// The deepest quota'd path that is a prefix of <paramref name="path"/>, or null if there is
    /// none (a quota on "/" itself is never kept).
    /// </summary>
    public string? GetMaxPrefixWithQuota(string path)
    {
        string lastPrefix = _quotaTrie.FindMaxPrefix(path);
        return lastPrefix is SpecialPaths.Root or "" ? null : lastPrefix;
    }

    /// <summary>The tail of Java's <c>createNode</c>: registers limits, recounts on a new stats node, counts the node.</summary>
    private void UpdateQuotaOnCreate(string path, string parentName, string childName, byte[]? data)
    {
        if (parentName.StartsWith(SpecialPaths.Quota, StringComparison.Ordinal))
        {
            string quotaPath = Quotas.TrimQuotaPath(parentName)!;
            // Java's trie throws on "" (a limits node right under /zookeeper/quota).
            if (childName == SpecialPaths.QuotaLimitNode && quotaPath.Length > 0) _quotaTrie.AddPath(quotaPath);
            if (childName == SpecialPaths.QuotaStatNode) UpdateQuotaForPath(quotaPath);
        }

        string? lastPrefix = GetMaxPrefixWithQuota(path);
        if (lastPrefix is not null) UpdateQuotaStat(lastPrefix, data?.Length ?? 0, 1);
    }

    /// <summary>The tail of Java's <c>deleteNode</c>: drops a deleted limits node's quota, uncounts the node.</summary>
    private void UpdateQuotaOnDelete(string path, string parentName, string childName, DataNode node)
    {
        // Java tests the wider /zookeeper prefix here than on create; kept.
        if (childName == SpecialPaths.QuotaLimitNode && parentName.StartsWith(SpecialPaths.Zookeeper, StringComparison.Ordinal))
        {
            string? quotaPath = Quotas.TrimQuotaPath(parentName);
            if (!string.IsNullOrEmpty(quotaPath)) _quotaTrie.DeletePath(quotaPath);
        }

        string? lastPrefix = GetMaxPrefixWithQuota(path);
        if (lastPrefix is null) return;
        long bytes;
        lock (node.Sync) bytes = node.Data?.Length ?? 0;
        UpdateQuotaStat(lastPrefix, -bytes, -1);
    }

    /// <summary>The tail of Java's <c>setData</c>: moves the quota'd prefix's bytes by the size change.</summary>
    private void UpdateQuotaOnSetData(string path, byte[]? lastData, byte[]? data)
    {
        string? lastPrefix = GetMaxPrefixWithQuota(path);
        if (lastPrefix is not null) UpdateQuotaStat(lastPrefix, (data?.Length ?? 0) - (lastData?.Length ?? 0), 0);
    }

    /// <summary>
    /// Adds to the counts in <paramref name="lastPrefix"/>'s stats node (Java's <c>updateQuotaStat</c>).
    /// A missing node is skipped, as in Java. The data size does not follow (see above).
    /// </summary>
    private void UpdateQuotaStat(string lastPrefix, long bytesDiff, int countDiff)
    {
        if (GetNode(Quotas.StatPath(lastPrefix)) is not { } statNode) return;
        lock (statNode.Sync)
        {
            // Java's apply would die on unparsable stats; leaving them as written is the kinder choice.
            if (!StatsTrack.TryParse(statNode.Data, out var stats)) return;
            stats.Count += countDiff;
            stats.Bytes += bytesDiff;
            statNode.Data = stats.ToBytes();
        }
    }

    /// <summary>
    /// Recounts the subtree at <paramref name="path"/> into its stats node, which then holds only
    /// count and bytes (Java's <c>updateQuotaForPath</c>). The data size does not follow.
    /// </summary>
    private void UpdateQuotaForPath(string path)
    {
        var (count, bytes) = CountSubtree(path);
        var stats = new StatsTrack { Bytes = bytes, Count = count };
        string statPath = Quotas.StatPath(path);
        if (GetNode(statPath) is not { } statNode) return;
        lock (statNode.Sync)
        {
            RemoveNodeDigest(statPath, statNode);
            statNode.Data = stats.ToBytes();
            AddNodeDigest(statPath, statNode);
        }
    }

    /// <summary>Nodes and data bytes of the subtree at <paramref name="path"/>, itself included (0, 0 if missing).</summary>
    private (long Count, long Bytes) CountSubtree(string path)
    {
        long count = 0, bytes = 0;
        // An explicit stack: a subtree can be deeper than the call stack allows.
        var pending = new Stack<string>();
        pending.Push(path);
        while (pending.Count > 0)
        {
            string current = pending.Pop();
            if (GetNode(current) is not { } node) continue;
            string[] children;
            lock (node.Sync)
            {
                children = node.ChildrenLocked();
                bytes += node.Data?.Length ?? 0;
            }
            count++;
            foreach (string child in children) pending.Push(current + "/" + child);
        }
        return (count, bytes);
    }

    /// <summary>
    /// After a snapshot load (Java's <c>setupQuota</c>): every leaf named zookeeper_limits under
    /// /zookeeper/quota marks its path and gets its stats recounted. A limits node with children
    /// is not a leaf and counts for nothing, as in Java.
    /// </summary>
    private void SetupQuota()
    {
        _quotaTrie.Clear();
        if (GetNode(SpecialPaths.Quota) is null) return;

        const string endString = "/" + SpecialPaths.QuotaLimitNode;
        var pending = new Stack<string>();
        pending.Push(SpecialPaths.Quota);
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            if (GetNode(path) is not { } node) continue;
            string[] children;
            lock (node.Sync) children = node.ChildrenLocked();
            if (children.Length > 0)
            {
                foreach (string child in children) pending.Push(path + "/" + child);
                continue;
            }
            if (!path.EndsWith(endString, StringComparison.Ordinal)) continue;

            // Java cuts at the first occurrence of "/zookeeper_limits", not the last.
            string realPath = path[SpecialPaths.Quota.Length..path.IndexOf(endString, StringComparison.Ordinal)];
            UpdateQuotaForPath(realPath);
            if (realPath.Length > 0) _quotaTrie.AddPath(realPath);
        }
    }
}
