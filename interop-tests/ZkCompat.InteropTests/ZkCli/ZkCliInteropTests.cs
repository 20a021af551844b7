using NUnit.Framework;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.ZkCli;

/// <summary>
/// Each script runs in one stock zkCli session against a fresh Java ZooKeeper 3.8 and a fresh ZkCompat
/// server; after normalisation (<see cref="ZkCliOutputNormalizer"/>) the two transcripts must be equal.
/// </summary>
[TestFixture]
[Category("Interop")]
public class ZkCliInteropTests
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    private static IEnumerable<TestCaseData> Scripts() =>
        ZkCliScripts.All.Select(s => new TestCaseData(s).SetName($"ZkCli_{s.Name}"));

    [TestCaseSource(nameof(Scripts))]
    public async Task Script_PrintsTheSameOnZkCompatAsOnJava(ZkCliScript script)
    {
        using var cts = new CancellationTokenSource(ScriptTimeout);
        var (java, zkCompat) = await BothServers.RunAsync(
            server => ZkCliRunner.RunAsync(server.ConnectString, script, cts.Token),
            run => CheckJavaTranscript(script, run),
            cfg => Configure(script, cfg),
            cts.Token);

        string expected = ZkCliOutputNormalizer.Normalize(java.Result.Render());
        string actual = ZkCliOutputNormalizer.Normalize(zkCompat.Result.Render());
        if (expected != actual)
        {
            Assert.Fail(
                $"zkCli script '{script.Name}' prints differently on ZkCompat than on Java (normalised):\n" +
                TextDiff.Unified(expected, actual) +
                $"\n--- full normalised Java transcript ---\n{expected}" +
                $"--- ZkCompat server log (tail) ---\n{zkCompat.LogTail()}");
        }
    }

    private static void Configure(ZkCliScript script, ZooCfg cfg)
    {
        cfg.ExtendedTypesEnabled = script.NeedsExtendedTypes;
        foreach (var (key, value) in script.ExtraConfig) cfg.Set(key, value);
    }

    // The script must work as intended on the reference server before ZkCompat is judged by it.
    private static void CheckJavaTranscript(ZkCliScript script, ServerRun<ZkCliTranscript> run)
    {
        string normalized = ZkCliOutputNormalizer.Normalize(run.Result.Render());
        string context = $"\n--- normalised Java transcript ---\n{normalized}--- raw zkCli output ---\n{run.Result.RawOutput}" +
                         $"\n--- Java server log (tail) ---\n{run.LogTail()}";
        var problems = run.Result.Steps.Where(s => s.Problem is not null).Select(s => $"'{s.Command}': {s.Problem}").ToList();
        if (problems.Count > 0)
            Assert.Fail($"zkCli script '{script.Name}' did not run cleanly against Java:\n{string.Join('\n', problems)}{context}");

        var lines = normalized.Split('\n');
        var missing = script.ExpectedInJava.Where(expected => !lines.Contains(expected)).ToList();
        if (missing.Count > 0)
            Assert.Fail($"zkCli script '{script.Name}' against Java lacks the line(s) it exists to produce:\n{string.Join('\n', missing)}{context}");
    }
}
