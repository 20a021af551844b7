using ZkCompat.Server.Quorum.Election;

namespace ZkCompat.Server.Tests.Quorum;

/// <summary>
/// One server's election, scripted message by message (see <see cref="ElectionScript"/> for the notation).
/// Each case follows a rule of Java 3.8's FastLeaderElection: lookForLeader, WorkerReceiver,
/// receivedFollowingNotification/receivedLeadingNotification and checkLeader. Ticks are 10 ms.
/// </summary>
public class FastLeaderElectionTests
{
    private static IEnumerable<TestCaseData> Scripts()
    {
        yield return Case("initial vote for self goes to every other voter",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "  expect state=LOOKING round=1 proposal=1 finalizing=no");

        yield return Case("a better vote in the round is adopted and sent; a quorum then waits finalizeWait and follows",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 LOOKING 2 0x100000003 1 1",
            "  send 2,3 LOOKING 2 0x100000003 1 1",
            "  expect proposal=2 finalizing=yes",
            "tick 19",
            "  expect state=LOOKING",
            "tick 1",
            "  result FOLLOWING 2 1",
            "  expect state=FOLLOWING",
            // out of election, a LOOKING peer is told whom we follow, in the round we decided
            "recv 3 LOOKING 3 0x100000001 2 1",
            "  send 3 FOLLOWING 2 0x100000003 1 1");

        yield return Case("a worse vote changes nothing; agreement from one peer makes a majority of 3 and we lead",
            "me 2 of 3",
            "start 0x100000003 1",
            "  send 1,3 LOOKING 2 0x100000003 1 1",
            "recv 1 LOOKING 1 0x100000002 1 1",
            "  expect proposal=2 finalizing=no",
            "recv 3 LOOKING 2 0x100000003 1 1",
            "  expect finalizing=yes",
            "tick 20",
            "  result LEADING 2 1",
            "recv 1 LOOKING 1 0x100000002 2 1",
            "  send 1 LEADING 2 0x100000003 1 1");

        yield return Case("higher epoch beats higher zxid, higher zxid beats higher sid",
            "me 3 of 3",
            "start 0x100000009 1",
            "  send 1,2 LOOKING 3 0x100000009 1 1",
            "recv 1 LOOKING 1 0x200000001 1 2",
            "  send 1,2 LOOKING 1 0x200000001 1 2",
            "recv 2 LOOKING 2 0x200000000 1 2",
            "  expect proposal=1 finalizing=yes");

        yield return Case("a newer round is joined with our own vote when it beats the sender's",
            "me 3 of 3",
            "start 0x100000003 1",
            "  send 1,2 LOOKING 3 0x100000003 1 1",
            "recv 1 LOOKING 1 0x100000002 5 1",
            "  send 1,2 LOOKING 3 0x100000003 5 1",
            "  expect round=5 proposal=3 finalizing=no");

        yield return Case("a newer round is joined with the sender's vote when it is better",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 LOOKING 3 0x200000000 4 2",
            "  send 2,3 LOOKING 3 0x200000000 4 2",
            "  expect round=4 proposal=3 finalizing=yes");

        yield return Case("a LOOKING peer in an older round is told ours; its vote is not counted even if better",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 LOOKING 2 0x100000001 4 1",
            "  send 2,3 LOOKING 1 0x100000003 4 1",
            "recv 3 LOOKING 3 0x100000009 2 1",
            "  send 3 LOOKING 1 0x100000003 4 1",
            "  expect round=4 proposal=1 finalizing=no");

        yield return Case("votes with zxid -1 are ignored",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 LOOKING 2 -1 1 1",
            "  expect proposal=1 finalizing=no");

        yield return Case("a server whose own zxid is -1 ignores LOOKING votes",
            "me 1 of 3",
            "start -1 0",
            "  send 2,3 LOOKING 1 -1 1 0",
            "recv 2 LOOKING 2 0x100000003 1 1",
            "  expect proposal=1 finalizing=no");

        yield return Case("silence: notifications are resent, the interval doubling from 200 ms",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "tick 19",
            "tick 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "  expect timeout=400",
            "tick 39",
            "tick 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "  expect timeout=800",
            // any notification restarts the wait, but the interval is not reset
            "tick 50",
            "recv 2 LOOKING 1 0x100000003 1 1",
            "  expect finalizing=yes");

        yield return Case("a late joiner follows the established leader once a quorum backs it and it says LEADING",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 FOLLOWING 3 0x200000005 4 2",
            "  expect state=LOOKING round=1",
            "recv 3 LEADING 3 0x200000007 4 2",
            "  result FOLLOWING 3 4",
            "  expect state=FOLLOWING round=4");

        yield return Case("followers alone are not enough: the leader must itself say LEADING",
            "me 1 of 5",
            "start 0x100000003 1",
            "  send 2,3,4,5 LOOKING 1 0x100000003 1 1",
            "recv 2 FOLLOWING 5 0x200000005 4 2",
            "recv 3 FOLLOWING 5 0x200000005 4 2",
            "recv 4 FOLLOWING 5 0x200000005 4 2",
            "  expect state=LOOKING",
            "recv 5 LEADING 5 0x200000005 4 2",
            "  result FOLLOWING 5 4");

        yield return Case("followers of a different epoch do not back the same leader",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 FOLLOWING 3 0x200000005 4 2",
            "recv 3 LEADING 3 0x300000000 6 3",
            "  expect state=LOOKING");

        yield return Case("a crashed leader's old followers do not make it lead again in a new round",
            "me 3 of 3",
            "start 0x100000003 1",
            "  send 1,2 LOOKING 3 0x100000003 1 1",
            "recv 1 FOLLOWING 3 0x100000003 7 1",
            "recv 2 FOLLOWING 3 0x100000003 7 1",
            "  expect state=LOOKING round=1");

        yield return Case("peers that finished this very round make us lead",
            "me 3 of 3",
            "start 0x100000003 1",
            "  send 1,2 LOOKING 3 0x100000003 1 1",
            "recv 1 FOLLOWING 3 0x100000003 1 1",
            "  result LEADING 3 1");

        yield return Case("during finalizeWait a vote that is not better restarts the wait",
            "me 2 of 3",
            "start 0x100000003 1",
            "  send 1,3 LOOKING 2 0x100000003 1 1",
            "recv 1 LOOKING 2 0x100000003 1 1",
            "  expect finalizing=yes",
            "tick 15",
            "recv 1 LOOKING 2 0x100000003 1 1",
            "tick 19",
            "  expect state=LOOKING finalizing=yes",
            "tick 1",
            "  result LEADING 2 1");

        yield return Case("during finalizeWait a better vote reopens the round",
            "me 2 of 3",
            "start 0x100000003 1",
            "  send 1,3 LOOKING 2 0x100000003 1 1",
            "recv 1 LOOKING 2 0x100000003 1 1",
            "tick 10",
            "recv 3 LOOKING 3 0x100000003 1 1",
            "  send 1,3 LOOKING 3 0x100000003 1 1",
            "  expect proposal=3 finalizing=yes",
            "tick 20",
            "  result FOLLOWING 3 1");

        yield return Case("an observer is answered at once with our current vote",
            "me 1 of 3+1",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 4 LOOKING min min 1 min",
            "  send 4 LOOKING 1 0x100000003 1 1");

        yield return Case("votes for a server that is not a voter are ignored",
            "me 1 of 3+1",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 LOOKING 4 0x900000000 1 9",
            "  expect proposal=1 finalizing=no");

        yield return Case("OBSERVING notifications from a voter are ignored",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 OBSERVING 3 0x900000000 1 9",
            "  expect proposal=1 finalizing=no");

        yield return Case("an observer never proposes itself and ends OBSERVING the leader voters report",
            "me 4 of 3+1 observer",
            "start 0x100000003 1",
            "  send 1,2,3 LOOKING min min 1 min",
            "recv 1 FOLLOWING 3 0x200000000 2 2",
            "recv 3 LEADING 3 0x200000000 2 2",
            "  result OBSERVING 3 2");

        yield return Case("a second election bumps the round and starts from our own vote again",
            "me 1 of 3",
            "start 0x100000003 1",
            "  send 2,3 LOOKING 1 0x100000003 1 1",
            "recv 2 LOOKING 2 0x100000003 1 1",
            "  send 2,3 LOOKING 2 0x100000003 1 1",
            "tick 20",
            "  result FOLLOWING 2 1",
            "start 0x200000004 2",
            "  send 2,3 LOOKING 1 0x200000004 2 2",
            "  expect state=LOOKING round=2 proposal=1");
    }

    private static TestCaseData Case(string name, params string[] script) => new TestCaseData((object)script).SetName(name);

    [TestCaseSource(nameof(Scripts))]
    public void Script(string[] script) => ElectionScript.Run(script);

    [TestCase(1, 5, 1, /* vs */ 2, 5, 1, true, TestName = "same epoch and zxid: higher sid wins")]
    [TestCase(2, 5, 1, /* vs */ 1, 5, 1, false, TestName = "same epoch and zxid: lower sid loses")]
    [TestCase(1, 5, 1, /* vs */ 1, 5, 1, false, TestName = "identical is not better")]
    [TestCase(3, 5, 1, /* vs */ 1, 6, 1, true, TestName = "higher zxid beats higher sid")]
    [TestCase(1, 9, 1, /* vs */ 1, 2, 2, true, TestName = "higher epoch beats higher zxid")]
    [TestCase(1, 0, 2, /* vs */ 3, 9, 1, false, TestName = "lower epoch loses whatever its zxid")]
    public void Total_order_is_epoch_then_zxid_then_sid(long curId, long curZxid, long curEpoch, long newId, long newZxid, long newEpoch, bool better)
    {
        Assert.That(Vote.IsBetter(newId, newZxid, newEpoch, curId, curZxid, curEpoch), Is.EqualTo(better));
    }

    private static readonly Vote Looking = new(3, 0x100000005, 2, 1);

    [TestCase(ServerState.Looking, 3, 0x100000005, 2, 1, 0, true, TestName = "looking: all four fields equal")]
    [TestCase(ServerState.Looking, 3, 0x100000005, 3, 1, 0, false, TestName = "looking: other round")]
    [TestCase(ServerState.Looking, 3, 0x100000006, 2, 1, 0, false, TestName = "looking: other zxid")]
    [TestCase(ServerState.Following, 3, 0x100000005, 2, 1, 2, true, TestName = "looking vs following: same four fields")]
    [TestCase(ServerState.Following, 3, 0x100000009, 2, 1, 2, false, TestName = "looking vs following: other zxid")]
    public void Vote_agreement_with_a_looking_vote(ServerState state, long id, long zxid, long round, long epoch, int version, bool agrees)
    {
        Assert.That(Looking.AgreesWith(new Vote(id, zxid, round, epoch, state, version)), Is.EqualTo(agrees));
    }

    [TestCase(2, 2, 3, 9, 2, true, TestName = "out of election, both versioned: leader and epoch, zxid ignored")]
    [TestCase(2, 2, 3, 9, 3, false, TestName = "out of election, both versioned: other epoch")]
    [TestCase(2, 0, 3, 9, 3, true, TestName = "out of election, one unversioned: leader only")]
    [TestCase(0, 0, 4, 1, 2, false, TestName = "out of election: other leader")]
    public void Vote_agreement_out_of_election(int versionA, int versionB, long idB, long zxidB, long epochB, bool agrees)
    {
        var a = new Vote(3, 0x200000001, 5, 2, ServerState.Leading, versionA);
        var b = new Vote(idB, zxidB, 8, epochB, ServerState.Following, versionB);
        Assert.That(a.AgreesWith(b), Is.EqualTo(agrees));
    }

    [TestCase(3, 0, new long[] { 1 }, false)]
    [TestCase(3, 0, new long[] { 1, 2 }, true)]
    [TestCase(4, 0, new long[] { 1, 2 }, false)]
    [TestCase(4, 0, new long[] { 1, 2, 4 }, true)]
    [TestCase(3, 2, new long[] { 1, 4, 5 }, false)]
    [TestCase(3, 2, new long[] { 1, 3, 4, 5 }, true)]
    [TestCase(5, 0, new long[] { 1, 2, 9 }, false)]
    public void QuorumMaj_needs_more_than_half_of_the_voters_and_ignores_others(int voters, int observers, long[] acks, bool quorum)
    {
        Assert.That(Ensembles.Of(voters, observers).ContainsQuorum(acks), Is.EqualTo(quorum));
    }

    [Test]
    public void QuorumMaj_config_text_lists_observers_and_the_hex_version()
    {
        var qv = new QuorumMaj([Ensembles.Server(2), Ensembles.Server(1), Ensembles.Server(3, observer: true)], version: 0x100000000);

        Assert.That(qv.ToString(), Is.EqualTo(
            "server.1=127.0.0.1:22881:23881:participant\n" +
            "server.2=127.0.0.1:22882:23882:participant\n" +
            "server.3=127.0.0.1:22883:23883:observer\n" +
            "version=100000000"));
    }

    [Test]
    public void Resend_interval_doubles_up_to_60_seconds_and_stays_there()
    {
        var fle = new FastLeaderElection(1, Ensembles.Of(3));
        fle.Start(0x100000000, 1);
        var resendsAtMs = new List<long>();
        for (long tick = 1; tick <= 30_000; tick++) // 300 s
        {
            if (fle.Tick().Messages.Count > 0) resendsAtMs.Add(tick * 10);
        }

        var gaps = resendsAtMs.Zip(resendsAtMs.Skip(1), (a, b) => b - a).ToList();
        Assert.That(resendsAtMs[0], Is.EqualTo(200));
        Assert.That(gaps.Take(9), Is.EqualTo(new long[] { 400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000 }));
        Assert.That(gaps.Skip(9), Is.All.EqualTo(60000));
        Assert.That(fle.NotificationTimeout, Is.EqualTo(TimeSpan.FromSeconds(60)));
    }
}
