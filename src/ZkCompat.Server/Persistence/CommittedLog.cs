using System.Collections.ObjectModel;
using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Zab;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// The newest committed proposals kept in memory so a leader can bring a learner up to date with
/// DIFF/TRUNC instead of a snapshot (Java's <c>ZKDatabase.committedLog</c>, sized by
/// <c>zookeeper.commitLogCount</c>). Bounded: adding to a full log drops the oldest. Thread-safe; zxids
/// only ascend, so every <see cref="Snapshot"/> is sorted.
/// </summary>
/// <remarks>
/// <see cref="ZkDatabase"/> fills it while restoring; in quorum mode the runtime adds each txn as it is
/// committed. A standalone server never adds, so its write path pays nothing.
/// </remarks>
public sealed class CommittedLog
{
    public const string CountPropertyName = "zookeeper.commitLogCount";

    /// <summary>Java's default, and also its floor: smaller configured values are raised to it.</summary>
    public const int DefaultCount = 500;

    private readonly Lock _sync = new();
    private readonly CommittedProposal[] _ring;
    private int _head;   // index of the oldest entry
    private int _count;
    private ReadOnlyCollection<CommittedProposal>? _snapshot;  // valid until the next change

    /// <param name="capacity">How many proposals are kept (at least 1).</param>
    public CommittedLog(int capacity = DefaultCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new CommittedProposal[capacity];
    }

    public int Capacity => _ring.Length;

    public int Count
    {
        get { lock (_sync) return _count; }
    }

    /// <summary>The oldest zxid held; 0 when empty (Java's <c>minCommittedLog</c>).</summary>
    public long MinZxid
    {
        get { lock (_sync) return _count == 0 ? 0 : _ring[_head].Zxid; }
    }

    /// <summary>The newest zxid held; 0 when empty (Java's <c>maxCommittedLog</c>).</summary>
    public long MaxZxid
    {
        get { lock (_sync) return _count == 0 ? 0 : NewestLocked().Zxid; }
    }

    /// <summary>
    /// Appends a committed proposal, dropping the oldest when full (Java's <c>addCommittedProposal</c>).
    /// <paramref name="data"/> is the PROPOSAL payload (<see cref="TxnLogEntry.Marshal"/>: header, txn,
    /// digest) and is kept, not copied: do not change it afterwards.
    /// </summary>
    /// <returns>False, and nothing changes, when <paramref name="zxid"/> is not after <see cref="MaxZxid"/>:
    /// a learner synced from a log out of order would be corrupted.</returns>
    public bool Add(long zxid, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var proposal = new CommittedProposal(zxid, data);
        lock (_sync)
        {
            if (_count > 0 && zxid <= NewestLocked().Zxid) return false;
            if (_count == _ring.Length)
            {
                _ring[_head] = proposal;
                _head = (_head + 1) % _ring.Length;
            }
            else
            {
                _ring[(_head + _count) % _ring.Length] = proposal;
                _count++;
            }
            _snapshot = null;
            return true;
        }
    }

    /// <summary>
    /// The proposals held now, oldest first, as a list that never changes (Java's <c>getCommittedLog</c>
    /// copy). Repeated calls without an add in between share one copy.
    /// </summary>
    public IReadOnlyList<CommittedProposal> Snapshot()
    {
        lock (_sync)
        {
            if (_snapshot is not null) return _snapshot;
            var copy = new CommittedProposal[_count];
            for (int i = 0; i < _count; i++) copy[i] = _ring[(_head + i) % _ring.Length];
            _snapshot = Array.AsReadOnly(copy);
            return _snapshot;
        }
    }

    public void Clear()
    {
        lock (_sync)
        {
            Array.Clear(_ring);
            _head = 0;
            _count = 0;
            _snapshot = null;
        }
    }

    /// <summary>
    /// <c>zookeeper.commitLogCount</c> read as Java does: <c>Integer.parseInt</c>, the default when it does
    /// not parse, and never below <see cref="DefaultCount"/>.
    /// </summary>
    public static int CapacityFrom(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return JavaText.TryParseInt(options.GetProperty(CountPropertyName), out int count) && count > DefaultCount ? count : DefaultCount;
    }

    private CommittedProposal NewestLocked() => _ring[(_head + _count - 1) % _ring.Length];
}
