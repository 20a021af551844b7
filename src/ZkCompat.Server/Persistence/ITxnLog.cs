using ZkCompat.Jute;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// The transaction log as the processors see it. Durability is an explicit step: appended
/// entries are not durable until <see cref="Commit"/> returns, and nothing is acknowledged
/// to a client before that.
/// </summary>
public interface ITxnLog : IDisposable
{
    /// <summary>Buffers one entry (header, txn record, optional digest).</summary>
    void Append(TxnHeader header, IJuteRecord? txn, TxnDigest? digest);

    /// <summary>Makes everything appended so far durable (one fsync for the batch).</summary>
    void Commit();

    long LastLoggedZxid { get; }
}

/// <summary>A log that keeps entries in memory: for tests and until the file log exists.</summary>
public sealed class InMemoryTxnLog : ITxnLog
{
    private readonly List<(TxnHeader Header, byte[] Txn, TxnDigest? Digest)> _entries = [];
    private int _committed;

    public long LastLoggedZxid { get; private set; }

    public int CommittedCount => Volatile.Read(ref _committed);

    public IReadOnlyList<(TxnHeader Header, byte[] Txn, TxnDigest? Digest)> Entries => _entries;

    public void Append(TxnHeader header, IJuteRecord? txn, TxnDigest? digest)
    {
        if (header.Zxid <= LastLoggedZxid)
            throw new InvalidOperationException($"zxid 0x{header.Zxid:x} is not after 0x{LastLoggedZxid:x}");
        _entries.Add((header, txn is null ? [] : JuteSerializer.ToArray(txn), digest));
        LastLoggedZxid = header.Zxid;
    }

    public void Commit() => Volatile.Write(ref _committed, _entries.Count);

    public void Dispose() { }
}
