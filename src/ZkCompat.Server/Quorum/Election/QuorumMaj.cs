using System.Globalization;
using System.Text;
using ZkCompat.Server.Config;

namespace ZkCompat.Server.Quorum.Election;

/// <summary>
/// Majority quorums over the participants of one configuration; observers are members but never vote
/// and never count towards a quorum. Immutable.
/// </summary>
public sealed class QuorumMaj
{
    private readonly SortedDictionary<long, QuorumServerSpec> _all = new();
    private readonly HashSet<long> _voters = new();

    public QuorumMaj(IEnumerable<QuorumServerSpec> members, long version = 0)
    {
        foreach (var m in members)
        {
            if (!_all.TryAdd(m.Id, m))
                throw new ArgumentException($"server.{m.Id} is listed twice", nameof(members));
            if (m.IsParticipant) _voters.Add(m.Id);
        }
        Version = version;
        Half = _voters.Count / 2;
    }

    /// <summary>The dynamic-config version (the <c>version=</c> line, hex on the wire).</summary>
    public long Version { get; }

    /// <summary>Half the voters, rounded down; a quorum is strictly more than this.</summary>
    public int Half { get; }

    public IReadOnlyCollection<long> VotingMembers => _voters;

    public IEnumerable<long> ObservingMembers => _all.Keys.Where(id => !_voters.Contains(id));

    public IEnumerable<QuorumServerSpec> AllMembers => _all.Values;

    public bool IsVoter(long sid) => _voters.Contains(sid);

    /// <summary>Every server weighs 1 under majority rule (Java returns 1 even for unknown ids).</summary>
    public long GetWeight(long sid) => 1;

    /// <summary>True when more than half of the voters are in <paramref name="acks"/>; non-voters in the set are ignored.</summary>
    public bool ContainsQuorum(IEnumerable<long> acks)
    {
        int count = 0;
        foreach (var sid in acks.Distinct())
            if (_voters.Contains(sid)) count++;
        return count > Half;
    }

    /// <summary>
    /// The config text peers exchange in notifications: one <c>server.N=…</c> line per member in
    /// ascending sid order (Java's HashMap order for small sids), then <c>version=&lt;hex&gt;</c>, no final newline.
    /// </summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var m in _all.Values)
            sb.Append("server.").Append(m.Id.ToString(CultureInfo.InvariantCulture)).Append('=').Append(m.ToConfigValue()).Append('\n');
        sb.Append("version=").Append(Version.ToString("x", CultureInfo.InvariantCulture));
        return sb.ToString();
    }
}
