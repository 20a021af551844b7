using ZkCompat.InteropTests.Servers;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// One mixed ensemble to start: the kind of each server (server ids 1, 2, ... in order, observers
/// last) and which server must lead. The leader is always the participant with the highest id: with
/// equal logs the highest (epoch, zxid, sid) wins, so the rig can make it win whatever order the
/// processes came up in (<see cref="MixedEnsembleTestBase.ForceLeaderAsync"/>).
/// </summary>
public sealed record MixedShape(string Name, IReadOnlyList<EnsembleMember> Members)
{
    public int Participants => Members.Count(m => !m.IsObserver);

    public int Observers => Members.Count(m => m.IsObserver);

    /// <summary>The server that must lead: the participant with the highest id.</summary>
    public long LeaderSid => Members.Select((m, i) => (m, Sid: i + 1L)).Where(x => !x.m.IsObserver).Max(x => x.Sid);

    public ServerKind LeaderKind => Members[(int)LeaderSid - 1].Kind;

    /// <summary>Parses a layout like <c>J Z J+ Zo</c>: J Java, Z ZkCompat, a trailing o an observer.</summary>
    public static MixedShape Parse(string layout)
    {
        var members = layout.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(token =>
        {
            var kind = token[0] switch
            {
                'J' => ServerKind.Java,
                'Z' => ServerKind.ZkCompat,
                _ => throw new ArgumentException($"unknown server kind in '{token}'", nameof(layout)),
            };
            return token.EndsWith('o') ? EnsembleMember.Observer(kind) : EnsembleMember.Participant(kind);
        }).ToList();
        return new MixedShape(layout, members);
    }

    /// <summary>E.g. <c>J1 J2 Z3* Jo4</c>: kind and id of each server, the leader starred, observers marked.</summary>
    public override string ToString() =>
        string.Join(' ', Members.Select((m, i) =>
            $"{(m.Kind == ServerKind.Java ? "J" : "Z")}{(m.IsObserver ? "o" : "")}{i + 1}{(i + 1 == LeaderSid ? "*" : "")}"));
}
