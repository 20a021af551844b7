using System.Text.RegularExpressions;
using ZkCompat.InteropTests.FourLetterWords;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>What one server of an ensemble answers to srvr, stat and mntr, with the role srvr names.</summary>
internal sealed partial record RoleAnswers(EnsembleNode Node, string Mode, string Srvr, string Stat, string Mntr)
{
    /// <summary>
    /// mntr gauges only a leader reports here (Java 3.8's LeaderZooKeeperServer). A Java follower registers
    /// synced_observers too, but its value is null, and so not printed, unless it runs an observer master
    /// (observerMasterPort), which these ensembles do not configure.
    /// </summary>
    public static readonly IReadOnlyList<string> LeaderOnlyKeys =
        ["zk_learners", "zk_synced_followers", "zk_synced_non_voting_followers", "zk_synced_observers", "zk_pending_syncs"];

    public IReadOnlyDictionary<string, string> MntrValues => FourLetterWordNormalizer.Pairs(Mntr, '\t');

    /// <summary>srvr, stat and mntr from every running server, after a quorum has formed.</summary>
    public static async Task<IReadOnlyList<RoleAnswers>> ReadAsync(ZooKeeperEnsemble ensemble, CancellationToken ct)
    {
        await ensemble.WaitForQuorumAsync(cancellationToken: ct);
        var answers = new List<RoleAnswers>();
        foreach (var node in ensemble.Nodes.Where(n => n.IsUp))
        {
            string srvr = await node.FourLetterWordAsync("srvr", ct);
            string stat = await node.FourLetterWordAsync("stat", ct);
            string mntr = await node.FourLetterWordAsync("mntr", ct);
            answers.Add(new RoleAnswers(node, Field(srvr, "Mode: ") ?? "<none>", srvr, stat, mntr));
        }
        return answers;
    }

    /// <summary>
    /// The same answers from a Java ensemble of the same shape, started for the comparison and disposed
    /// after; its roles must hold as <see cref="AssertRoles"/> says before anything is compared with it.
    /// </summary>
    public static async Task<IReadOnlyList<RoleAnswers>> ReadJavaReferenceAsync(int participants, int observers, CancellationToken ct)
    {
        await using var java = await ZooKeeperEnsemble.StartAsync(ServerKind.Java, participants, observers, cancellationToken: ct);
        var reference = await ReadAsync(java, ct);
        AssertRoles(reference, followers: participants - 1, observers: observers);
        return reference;
    }

    /// <summary>One leader, the given numbers of followers and observers; stat and mntr agree with srvr; the leader counts its learners.</summary>
    public static void AssertRoles(IReadOnlyList<RoleAnswers> answers, int followers, int observers)
    {
        string all = Describe(answers);
        Assert.That(answers.Count(a => a.Mode == "leader"), Is.EqualTo(1), $"one leader\n{all}");
        Assert.That(answers.Count(a => a.Mode == "follower"), Is.EqualTo(followers), $"followers\n{all}");
        Assert.That(answers.Count(a => a.Mode == "observer"), Is.EqualTo(observers), $"observers\n{all}");
        Assert.Multiple(() =>
        {
            foreach (var a in answers)
            {
                Assert.That(Field(a.Stat, "Mode: "), Is.EqualTo(a.Mode), $"stat Mode of {a.Node}\n{a.Stat}");
                var mntr = a.MntrValues;
                Assert.That(mntr.GetValueOrDefault("zk_server_state"), Is.EqualTo(a.Mode), $"mntr zk_server_state of {a.Node}\n{a.Mntr}");
                if (a.Mode == "leader")
                {
                    Assert.That(mntr.GetValueOrDefault("zk_learners"), Is.EqualTo((followers + observers).ToString()), $"zk_learners\n{a.Mntr}");
                    Assert.That(mntr.GetValueOrDefault("zk_synced_followers"), Is.EqualTo(followers.ToString()), $"zk_synced_followers\n{a.Mntr}");
                    Assert.That(mntr.GetValueOrDefault("zk_synced_non_voting_followers"), Is.EqualTo("0"), $"zk_synced_non_voting_followers\n{a.Mntr}");
                    Assert.That(mntr.GetValueOrDefault("zk_synced_observers"), Is.EqualTo(observers.ToString()), $"zk_synced_observers\n{a.Mntr}");
                    Assert.That(mntr.GetValueOrDefault("zk_pending_syncs"), Is.EqualTo("0"), $"zk_pending_syncs\n{a.Mntr}");
                    // Commands.java's comment still says "followers"; 3.8 reports the gauge as zk_learners.
                    Assert.That(mntr.ContainsKey("zk_followers"), Is.False, $"no zk_followers in 3.8\n{a.Mntr}");
                }
                else
                {
                    Assert.That(LeaderOnlyKeys.Where(mntr.ContainsKey), Is.Empty, $"leader-only mntr keys on {a.Node}\n{a.Mntr}");
                }
            }
        });
    }

    /// <summary>
    /// Role by role, the same mntr keys as Java's servers in that role (per-namespace summaries aside),
    /// and the same srvr and stat lines once values are placeholders and stat's connection list is dropped.
    /// </summary>
    public static void AssertSameAsJava(IReadOnlyList<RoleAnswers> ours, IReadOnlyList<RoleAnswers> java)
    {
        Assert.Multiple(() =>
        {
            foreach (var a in ours)
            {
                var reference = java.FirstOrDefault(j => j.Mode == a.Mode);
                Assert.That(reference, Is.Not.Null, $"the Java ensemble has no {a.Mode} to compare {a.Node} with");
                if (reference is null) continue;
                var javaKeys = MntrKeys(reference.Mntr);
                var ourKeys = MntrKeys(a.Mntr);
                Assert.That(ourKeys, Is.EquivalentTo(javaKeys),
                    $"mntr keys of {a.Node} ({a.Mode}); missing: [{string.Join(", ", javaKeys.Except(ourKeys))}], extra: [{string.Join(", ", ourKeys.Except(javaKeys))}]");
                foreach (var (word, ourText, javaText) in new[] { ("srvr", a.Srvr, reference.Srvr), ("stat", a.Stat, reference.Stat) })
                {
                    string expected = Comparable(javaText, reference.Node.DataDir);
                    string actual = Comparable(ourText, a.Node.DataDir);
                    Assert.That(actual, Is.EqualTo(expected), $"{word} of {a.Node} ({a.Mode}) vs Java's {a.Mode}\n{TextDiff.Unified(expected, actual)}");
                }
            }
        });
    }

    // Java's leader keeps one summary per learner, named after its server id (zk_avg_2_learner_handler_qp_size):
    // which ids those are depends on who won the election, so the id becomes a placeholder.
    private static List<string> MntrKeys(string mntr) =>
        FourLetterWordNormalizer.Keys(mntr, '\t')
            .Where(k => !k.EndsWith("_per_namespace", StringComparison.Ordinal))
            .Select(k => LearnerSummary().Replace(k, "zk_${stat}_<sid>_learner_handler_"))
            .Distinct()
            .ToList();

    [GeneratedRegex(@"^zk_(?<stat>[a-z0-9]+)_\d+_learner_handler_")]
    private static partial Regex LearnerSummary();

    // Connections (stat's " /ip:port[..](..)" lines) depend on who asked when; the rest is the server's state.
    private static string Comparable(string answer, string dataDir) =>
        string.Join('\n', FourLetterWordNormalizer.Lines(answer, dataDir).Split('\n').Where(l => !l.StartsWith(" /", StringComparison.Ordinal)));

    private static string? Field(string answer, string prefix) =>
        answer.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..].Trim();

    private static string Describe(IEnumerable<RoleAnswers> answers) =>
        string.Join('\n', answers.Select(a => $"--- {a.Node}: srvr ---\n{a.Srvr}\n--- mntr ---\n{a.Mntr}"));
}
