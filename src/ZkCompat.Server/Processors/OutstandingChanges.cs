using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Processors;

/// <summary>
/// What a node will look like once the txns Prep has issued but Final has not yet applied are
/// applied (Java's <c>ChangeRecord</c>). A null <see cref="Stat"/> means "deleted".
/// </summary>
public sealed class ChangeRecord(long zxid, string path, StatPersisted? stat, int childCount, IReadOnlyList<ACL>? acl)
{
    public long Zxid { get; } = zxid;
    public string Path { get; } = path;
    public StatPersisted? Stat { get; } = stat;
    public int ChildCount { get; set; } = childCount;
    public IReadOnlyList<ACL>? Acl { get; } = acl;
    public byte[]? Data { get; set; }

    public ChangeRecord Duplicate(long zxid)
    {
        StatPersisted? copy = Stat is null ? null : CopyStat(Stat);
        return new ChangeRecord(zxid, Path, copy, ChildCount, Acl is null ? null : [.. Acl]) { Data = Data };
    }

    public static StatPersisted CopyStat(StatPersisted s) =>
        new(s.Czxid, s.Mzxid, s.Ctime, s.Mtime, s.Version, s.Cversion, s.Aversion, s.EphemeralOwner, s.Pzxid);
}

/// <summary>
/// The change records between Prep (which adds them) and Final (which retires them once the
/// tree has caught up). Prep validates each request against this view, so pipelined writes see
/// the effect of earlier ones that are still on their way to the disk.
/// </summary>
public sealed class OutstandingChanges
{
    private readonly Lock _lock = new();
    private readonly LinkedList<ChangeRecord> _changes = new();
    private readonly Dictionary<string, ChangeRecord> _byPath = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_lock) return _changes.Count; }
    }

    public ChangeRecord? Get(string path)
    {
        lock (_lock) return _byPath.GetValueOrDefault(path);
    }

    public void Add(ChangeRecord change)
    {
        lock (_lock)
        {
            _changes.AddLast(change);
            _byPath[change.Path] = change;
        }
    }

    public List<ChangeRecord> ToList()
    {
        lock (_lock) return [.. _changes];
    }

    /// <summary>Final applied everything up to <paramref name="zxid"/>: those records are history.</summary>
    public void RetireUpTo(long zxid)
    {
        lock (_lock)
        {
            while (_changes.First is { } first && first.Value.Zxid <= zxid)
            {
                _changes.RemoveFirst();
                if (_byPath.TryGetValue(first.Value.Path, out var current) && ReferenceEquals(current, first.Value))
                    _byPath.Remove(first.Value.Path);
            }
        }
    }

    /// <summary>
    /// A multi failed part-way: drop the records its ops added (all carry its zxid) and restore
    /// the records they replaced, unless those have been applied meanwhile.
    /// </summary>
    public void Rollback(long zxid, IReadOnlyDictionary<string, ChangeRecord> replaced)
    {
        lock (_lock)
        {
            while (_changes.Last is { } last && last.Value.Zxid == zxid)
            {
                _changes.RemoveLast();
                _byPath.Remove(last.Value.Path);
            }
            if (_changes.First is not { } first) return;
            long firstZxid = first.Value.Zxid;
            foreach (var change in replaced.Values)
            {
                if (change.Zxid < firstZxid) continue;
                _byPath[change.Path] = change;
            }
        }
    }
}
