using NUnit.Framework;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Kazoo;

/// <summary>
/// Debian's python3-kazoo (python/kazoo_scenario.py: CRUD, errors, watches, sequences, ephemerals,
/// transactions, Lock, Counter, Election, Queue, four-letter words) against Java ZooKeeper and
/// against ZkCompat: every check must pass on both, with the same lines.
/// </summary>
[TestFixture]
[Category("Interop")]
public class KazooInteropTests
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    [Test]
    public async Task Kazoo_scenario_passes_on_ZkCompat_as_on_Java()
    {
        Assert.That(File.Exists(Python), Is.True, $"{Python} is missing: install Debian's python3 and python3-kazoo");
        string script = Path.Combine(TestContext.CurrentContext.TestDirectory, "python", "kazoo_scenario.py");
        Assert.That(File.Exists(script), Is.True, $"{script} should have been copied next to the test assembly");

        using var cts = new CancellationTokenSource(RunTimeout * 2);
        var (java, zkCompat) = await BothServers.RunAsync(
            server => RunAsync(script, server.ConnectString, cts.Token),
            run => AssertClean(run, "the kazoo scenario or the Java server is broken (is python3-kazoo installed?)"),
            cancellationToken: cts.Token);

        AssertClean(zkCompat, "ZkCompat breaks a kazoo check");
        Assert.That(zkCompat.Result.Lines, Is.EqualTo(java.Result.Lines), "the same checks, in the same order, on both servers");
    }

    private static void AssertClean(ServerRun<KazooResult> run, string meaning)
    {
        var r = run.Result;
        if (r.ExitCode != 0 || r.Lines.Count == 0 || r.Lines.Any(l => !l.StartsWith("OK ", StringComparison.Ordinal)))
        {
            Assert.Fail($"kazoo against {run.Kind} ({meaning}): exit code {r.ExitCode?.ToString() ?? "none (timed out)"}\n" +
                        $"--- kazoo output ---\n{r.Output}\n--- {run.Kind} server log (tail) ---\n{run.LogTail()}");
        }
    }

    private static async Task<KazooResult> RunAsync(string script, string connectString, CancellationToken ct)
    {
        await using var process = ChildProcess.StartMerged(Python, [script, connectString]);
        bool exited = await process.WaitForExitAsync(RunTimeout, ct).ConfigureAwait(false);
        if (!exited) await process.KillAsync().ConfigureAwait(false);
        var lines = process.LinesFrom(0).Where(l => l.StartsWith("OK ", StringComparison.Ordinal) || l.StartsWith("FAIL ", StringComparison.Ordinal)).ToList();
        return new KazooResult(exited ? process.ExitCode : null, lines, process.Output);
    }

    public sealed record KazooResult(int? ExitCode, IReadOnlyList<string> Lines, string Output);
}
