namespace ZkCompat.Server.Persistence;

public sealed partial class ZkDatabase
{
    /// <summary>
    /// A learner's SNAP: the leader's tree and sessions replace ours (Java's <c>deserializeSnapshot</c> +
    /// <c>setlastProcessedZxid</c>). Nothing may run on the old tree any more.
    /// </summary>
    public void ReplaceWith(SnapStreamContent content, long zxid)
    {
        ArgumentNullException.ThrowIfNull(content);
        content.Tree.LastProcessedZxid = zxid;
        Tree = content.Tree;
        SessionsWithTimeouts.Clear();
        foreach (var (id, timeout) in content.Sessions) SessionsWithTimeouts[id] = timeout;
        CommittedLog.Clear();
        IsInitialized = true;
    }

    /// <summary>
    /// A role ended: apply what was logged but never committed here (Java's <c>fastForwardDataBase</c>), so
    /// the next election offers our whole history; the next leader truncates what it does not have.
    /// </summary>
    public long FastForward()
    {
        FileTxnLog.Commit();
        var (highest, _, _) = SnapLog.FastForwardFromEdits(Tree, SessionsWithTimeouts,
            entry => CommittedLog.Add(entry.Header.Zxid, TxnLogEntry.Marshal(entry.Header, entry.Txn, entry.Digest)));
        return highest;
    }
}
