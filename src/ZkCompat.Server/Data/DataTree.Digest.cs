using ZkCompat.Jute;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Data;

/// <summary>A tree digest tagged with the zxid it was taken after (Java's <c>DataTree.ZxidDigest</c>).</summary>
public sealed record ZxidDigest(long Zxid, int DigestVersion, long Digest)
{
    /// <summary>What a snapshot holds when no txn has been applied yet.</summary>
    public static ZxidDigest Empty { get; } = new(0, DigestCalculator.DigestVersion, 0);
}

// The tree digest (Java's NodeHashMapImpl + AdHash + the digest parts of DataTree): kept up to date
// by every change to the path map, logged per applied txn, written into snapshots and compared with
// the digests carried by logged txns. A mismatch is only counted and reported, as in Java.
public sealed partial class DataTree
{
    private long _treeDigest;
    private volatile bool _digestEnabled = true;
    private ZxidDigest? _lastProcessedZxidDigest;
    private ZxidDigest? _digestFromLoadedSnapshot;
    private long _digestMismatches;

    /// <summary>
    /// <c>zookeeper.digest.enabled</c> (default true). Turning it on recomputes the digest from the
    /// nodes; off, the digest reads 0 and nothing is compared.
    /// </summary>
    public bool DigestEnabled
    {
        get => _digestEnabled;
        set
        {
            _digestEnabled = value;
            Interlocked.Exchange(ref _treeDigest, value ? ComputeTreeDigest() : 0);
        }
    }

    /// <summary>The current tree digest: wrapping sum of the node digests (Java's <c>getTreeDigest</c>).</summary>
    public long TreeDigest => Interlocked.Read(ref _treeDigest);

    /// <summary>The digest after the last applied txn; null until one was applied outside a fuzzy replay.</summary>
    public ZxidDigest? LastProcessedZxidDigest => Volatile.Read(ref _lastProcessedZxidDigest);

    /// <summary>
    /// The digest a loaded snapshot promised for a later zxid; while set, replay is still in the
    /// snapshot's fuzzy range and txn digests are not compared.
    /// </summary>
    public ZxidDigest? DigestFromLoadedSnapshot
    {
        get => Volatile.Read(ref _digestFromLoadedSnapshot);
        set => Volatile.Write(ref _digestFromLoadedSnapshot, value);
    }

    /// <summary>How many digest comparisons failed (mntr's <c>zk_digest_mismatches_count</c>).</summary>
    public long DigestMismatchCount => Interlocked.Read(ref _digestMismatches);

    /// <summary>Raised with the zxid of each digest mismatch.</summary>
    public event Action<long>? DigestMismatch;

    /// <summary>Applies a logged txn, then checks the tree against the digest it carries.</summary>
    public ProcessTxnResult ProcessTxn(TxnHeader header, IJuteRecord? txn, TxnDigest? digest)
    {
        var rc = ProcessTxn(header, txn);
        CompareDigest(header.Zxid, digest);
        return rc;
    }

    /// <summary>
    /// Java's <c>compareDigest</c>: false when <paramref name="digest"/> differs from the tree. Nothing
    /// is compared without a digest, while replay is still fuzzy, or across digest versions.
    /// </summary>
    public bool CompareDigest(long zxid, TxnDigest? digest)
    {
        if (!_digestEnabled || digest is null) return true;
        if (DigestFromLoadedSnapshot is not null) return true;
        if (digest.Version != DigestCalculator.DigestVersion) return true;
        if (digest.TreeDigest == TreeDigest) return true;
        ReportDigestMismatch(zxid);
        return false;
    }

    /// <summary>Recomputes the digest from every node (for checks; the kept value is what is used).</summary>
    public long ComputeTreeDigest()
    {
        long sum = 0;
        // The "/" alias is the root, counted once (as "").
        foreach (var (path, node) in AllNodes())
        {
            lock (node.Sync) sum += NodeDigest(path, node);
        }
        return sum;
    }

    /// <summary>The digest of one node as it is now (call with its lock held, or before it is shared).</summary>
    private static long NodeDigest(string path, DataNode node) => DigestCalculator.CalculateDigest(path, node);

    /// <summary>Before a node's data or stat changes (Java's <c>preChange</c>).</summary>
    private void RemoveNodeDigest(string path, DataNode node)
    {
        if (_digestEnabled) Interlocked.Add(ref _treeDigest, -NodeDigest(path, node));
    }

    /// <summary>After a node's data or stat changed, or when it enters the map (Java's <c>postChange</c>).</summary>
    private void AddNodeDigest(string path, DataNode node)
    {
        if (_digestEnabled) Interlocked.Add(ref _treeDigest, NodeDigest(path, node));
    }

    private void ResetTreeDigest() => Interlocked.Exchange(ref _treeDigest, 0);

    /// <summary>After each top-level txn: check against a loaded snapshot's digest, or record this one.</summary>
    private void OnTxnApplied(long zxid)
    {
        if (!_digestEnabled) return;
        if (DigestFromLoadedSnapshot is not null) CompareSnapshotDigest(zxid);
        else Volatile.Write(ref _lastProcessedZxidDigest, new ZxidDigest(zxid, DigestCalculator.DigestVersion, TreeDigest));
    }

    /// <summary>
    /// Java's <c>compareSnapshotDigests</c>: once replay reaches the zxid the snapshot's digest was
    /// taken at, the tree must match it; from then on replay is no longer fuzzy.
    /// </summary>
    public void CompareSnapshotDigest(long zxid)
    {
        var expected = DigestFromLoadedSnapshot;
        if (expected is null || zxid != expected.Zxid) return;
        if (expected.DigestVersion == DigestCalculator.DigestVersion && TreeDigest != expected.Digest)
            ReportDigestMismatch(zxid);
        DigestFromLoadedSnapshot = null;
    }

    private void ReportDigestMismatch(long zxid)
    {
        Interlocked.Increment(ref _digestMismatches);
        DigestMismatch?.Invoke(zxid);
    }
}
