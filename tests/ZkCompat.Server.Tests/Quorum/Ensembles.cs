using ZkCompat.Server.Config;
using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Tests.Quorum;

/// <summary>Quorum configs for tests: sids 1…n on 127.0.0.1, ports 2288x/2388x.</summary>
internal static class Ensembles
{
    public static QuorumServerSpec Server(long sid, bool observer = false) => new()
    {
        Id = sid,
        Addresses = [new QuorumAddress("127.0.0.1", 22880 + (int)sid, 23880 + (int)sid)],
        Type = observer ? LearnerType.Observer : LearnerType.Participant,
    };

    /// <summary>Voters 1…<paramref name="voters"/>, then observers numbered after them.</summary>
    public static QuorumMaj Of(int voters, int observers = 0) =>
        new(Enumerable.Range(1, voters).Select(i => Server(i))
            .Concat(Enumerable.Range(voters + 1, observers).Select(i => Server(i, observer: true))));
}
