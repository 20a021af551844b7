using ZkCompat.Protocol;
using ZkCompat.Protocol.Txn;

namespace ZkCompat.Server.Tests.Quorum.Chaos;

/// <summary>
/// The chaos checks are only worth something if they can fail: damage a healed ensemble (one server
/// loses an acknowledged write) and the ledger (a write acked that nobody sent, one rejected that
/// exists) and expect each invariant to say so.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ChaosCheckerTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task EveryKindOfDamageIsReported()
    {
        string? lost = null, rejected = null;
        var report = await ChaosRun.RunAsync(ChaosSettings.Default(3, 7) with { Steps = 2 }, (ensemble, ledger) =>
        {
            var acked = ledger.Entries.Where(e => e.Outcome == WriteOutcome.Acked).OrderBy(e => e.Czxid).ToArray();
            Assert.That(acked, Has.Length.GreaterThan(2), "the run acked some writes");
            lost = acked[0].Path;
            rejected = acked[1].Path;

            // s1 forgets an acked write, as a lost log tail would make it.
            var tree = ensemble[1]!.Database.Tree;
            var header = new TxnHeader { Zxid = tree.LastProcessedZxid, Time = 0, Type = (int)OpCode.Delete };
            tree.ProcessTxn(header, new DeleteTxn { Path = lost });

            acked[1].Outcome = WriteOutcome.Rejected;
            acked[1].Detail = "sabotage";
            ledger.Attempt("/w9-00000", 9, 0).Outcome = WriteOutcome.Acked;
        });
        string text = report.Describe();
        await TestContext.Out.WriteLineAsync(text);

        Assert.That(report.Violations, Has.Some.Contains($"acked {lost} ").And.Contains("missing on s1"), text);
        Assert.That(report.Violations, Has.Some.StartsWith("TreeDigest differs"), text);
        Assert.That(report.Violations, Has.Some.Contains("'s children of / differ from s1's: only on s").And.Contains($"[{lost![1..]}]"), text);
        Assert.That(report.Violations, Has.Some.Contains($"{rejected}, whose create was rejected"), text);
        Assert.That(report.Violations, Has.Some.Contains("acked /w9-00000 ").And.Contains("missing on s2"), text);
        Assert.That(report.Violations.Where(v => !v.Contains(lost!, StringComparison.Ordinal) && !v.Contains(rejected!, StringComparison.Ordinal)
                && !v.Contains("/w9-00000", StringComparison.Ordinal) && !v.StartsWith("TreeDigest", StringComparison.Ordinal)
                && !v.Contains("'s children of / differ", StringComparison.Ordinal)),
            Is.Empty, "nothing else went wrong\n" + text);
    }
}
