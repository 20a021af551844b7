using System.Collections.ObjectModel;
using ZkCompat.Jute;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

/// <summary>
/// Interns ACL lists: each distinct list gets a long reference (1, 2, 3, … in order of first use)
/// that nodes and snapshots store instead of the list, counted per node using it
/// (Java's <c>ReferenceCountedACLCache</c>). Reference -1 stands for [ALL, world:anyone] without
/// an entry; a client-supplied open ACL still gets a real reference. Thread-safe.
/// </summary>
public sealed class AclCache
{
    public const long OpenUnsafeAclId = -1;

    private static readonly IReadOnlyList<ACL> OpenAclUnsafe = new ReadOnlyCollection<ACL>(WellKnownAcls.OpenAclUnsafe());

    private readonly Lock _sync = new();
    private readonly Dictionary<long, IReadOnlyList<ACL>> _longKeyMap = [];
    private readonly Dictionary<IReadOnlyList<ACL>, long> _aclKeyMap = new(AclListComparer.Instance);
    private readonly Dictionary<long, long> _referenceCounter = [];

    // Never lowered, even by a reload: a reference is not reused for a different list.
    private long _aclIndex;

    /// <summary>Number of distinct lists held.</summary>
    public int Count
    {
        get { lock (_sync) return _aclKeyMap.Count; }
    }

    /// <summary>
    /// The reference for <paramref name="acls"/>, creating it if new, and counts one more use.
    /// Null maps to -1 without counting, as in Java.
    /// </summary>
    public long ConvertAcls(IReadOnlyList<ACL>? acls)
    {
        if (acls is null) return OpenUnsafeAclId;
        lock (_sync)
        {
            if (!_aclKeyMap.TryGetValue(acls, out long reference))
            {
                reference = ++_aclIndex;
                // A private copy: the caller's list and records stay theirs to change.
                var copy = Copy(acls);
                _longKeyMap[reference] = copy;
                _aclKeyMap[copy] = reference;
            }
            AddUsageLocked(reference, 1);
            return reference;
        }
    }

    /// <summary>The list a reference stands for.</summary>
    /// <exception cref="InvalidOperationException">The reference is unknown (Java throws RuntimeException).</exception>
    public IReadOnlyList<ACL> ConvertLong(long aclRef)
    {
        if (aclRef == OpenUnsafeAclId) return OpenAclUnsafe;
        lock (_sync)
        {
            return _longKeyMap.TryGetValue(aclRef, out var acls)
                ? acls
                : throw new InvalidOperationException("Failed to fetch acls for " + aclRef);
        }
    }

    /// <summary>Counts one more node using <paramref name="aclRef"/>; unknown references are ignored.</summary>
    public void AddUsage(long aclRef)
    {
        if (aclRef == OpenUnsafeAclId) return;
        lock (_sync) AddUsageLocked(aclRef, 1);
    }

    /// <summary>Counts <paramref name="nodes"/> more nodes using <paramref name="aclRef"/> (a snapshot load's tally).</summary>
    public void AddUsage(long aclRef, long nodes)
    {
        if (aclRef == OpenUnsafeAclId || nodes <= 0) return;
        lock (_sync) AddUsageLocked(aclRef, nodes);
    }

    /// <summary>Counts one node fewer; the entry goes when none is left. Unknown references are ignored.</summary>
    public void RemoveUsage(long aclRef)
    {
        if (aclRef == OpenUnsafeAclId) return;
        lock (_sync)
        {
            if (!_longKeyMap.TryGetValue(aclRef, out var acls)) return;
            long count = _referenceCounter.GetValueOrDefault(aclRef) - 1;
            if (count <= 0)
            {
                _referenceCounter.Remove(aclRef);
                _aclKeyMap.Remove(acls);
                _longKeyMap.Remove(aclRef);
            }
            else
            {
                _referenceCounter[aclRef] = count;
            }
        }
    }

    /// <summary>Drops entries no node uses (after loading a snapshot).</summary>
    public void PurgeUnused()
    {
        lock (_sync)
        {
            foreach (var (aclRef, acls) in _longKeyMap.ToArray())
            {
                if (_referenceCounter.GetValueOrDefault(aclRef) > 0) continue;
                _referenceCounter.Remove(aclRef);
                _aclKeyMap.Remove(acls);
                _longKeyMap.Remove(aclRef);
            }
        }
    }

    /// <summary>How many uses <paramref name="aclRef"/> has (0 if unknown).</summary>
    public long GetReferenceCount(long aclRef)
    {
        lock (_sync) return _referenceCounter.GetValueOrDefault(aclRef);
    }

    /// <summary>A copy of every (reference, list) pair.</summary>
    public IReadOnlyList<KeyValuePair<long, IReadOnlyList<ACL>>> Entries()
    {
        lock (_sync) return _longKeyMap.ToArray();
    }

    /// <summary>Writes the snapshot's ACL section: <c>int count</c>, then <c>long ref, vector&lt;ACL&gt;</c> each.</summary>
    public void Serialize(ref JuteWriter writer)
    {
        var entries = Entries();
        writer.WriteInt(entries.Count);
        foreach (var (aclRef, acls) in entries)
        {
            writer.WriteLong(aclRef);
            writer.WriteVectorCount(acls.Count);
            foreach (var acl in acls) acl.Serialize(ref writer);
        }
    }

    /// <summary>
    /// Replaces the content with a snapshot's ACL section. Every entry starts with no uses; the tree
    /// adds them per node and then calls <see cref="PurgeUnused"/>.
    /// </summary>
    public void Deserialize(ref JuteReader reader)
    {
        int count = reader.ReadInt();
        var loaded = new List<KeyValuePair<long, List<ACL>>>(Math.Clamp(count, 0, 1024));
        for (int i = 0; i < count; i++) loaded.Add(ReadEntry(ref reader));
        Load(loaded);
    }

    /// <summary>
    /// Reads one <c>long ref, vector&lt;ACL&gt;</c> entry of the ACL section, so a stream can take the
    /// section an entry at a time; nothing is kept, <see cref="Load"/> installs the entries.
    /// </summary>
    public static KeyValuePair<long, List<ACL>> ReadEntry(ref JuteReader reader)
    {
        long aclRef = reader.ReadLong();
        int size = reader.ReadVectorCount(MinAclSize);
        if (size < 0) throw new JuteException("Incorrect format of snapshot ACL map: missing acls");
        var acls = new List<ACL>(size);
        for (int j = 0; j < size; j++) acls.Add(ACL.Deserialize(ref reader));
        return new(aclRef, acls);
    }

    /// <summary>Replaces the content with ACL section entries read by <see cref="ReadEntry"/>, each with no uses yet.</summary>
    public void Load(IEnumerable<KeyValuePair<long, List<ACL>>> entries)
    {
        lock (_sync)
        {
            _longKeyMap.Clear();
            _aclKeyMap.Clear();
            _referenceCounter.Clear();
            foreach (var (aclRef, acls) in entries)
            {
                if (aclRef > _aclIndex) _aclIndex = aclRef;
                var list = acls.AsReadOnly();
                _longKeyMap[aclRef] = list;
                _aclKeyMap[list] = aclRef;
                _referenceCounter[aclRef] = 0;
            }
        }
    }

    // int perms + two ustring lengths.
    private const int MinAclSize = 12;

    private void AddUsageLocked(long aclRef, long nodes)
    {
        if (!_longKeyMap.ContainsKey(aclRef)) return;
        _referenceCounter[aclRef] = _referenceCounter.GetValueOrDefault(aclRef) + nodes;
    }

    private static ReadOnlyCollection<ACL> Copy(IReadOnlyList<ACL> acls)
    {
        var copy = new ACL[acls.Count];
        for (int i = 0; i < copy.Length; i++)
        {
            var acl = acls[i];
            copy[i] = new ACL { Perms = acl.Perms, Id = new Id { Scheme = acl.Id.Scheme, IdValue = acl.Id.IdValue } };
        }
        return new ReadOnlyCollection<ACL>(copy);
    }

    /// <summary>Lists are equal when their ACL records are equal in order (Java's List.equals).</summary>
    private sealed class AclListComparer : IEqualityComparer<IReadOnlyList<ACL>>
    {
        public static readonly AclListComparer Instance = new();

        public bool Equals(IReadOnlyList<ACL>? x, IReadOnlyList<ACL>? y)
        {
            if (ReferenceEquals(x, y)) return true;
            if (x is null || y is null || x.Count != y.Count) return false;
            for (int i = 0; i < x.Count; i++)
            {
                if (!Equals(x[i], y[i])) return false;
            }
            return true;
        }

        public int GetHashCode(IReadOnlyList<ACL> obj)
        {
            var hash = new HashCode();
            foreach (var acl in obj) hash.Add(acl);
            return hash.ToHashCode();
        }
    }
}
