using NUnit.Framework;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.CClient;

/// <summary>
/// The ZooKeeper C client (<c>cli_mt</c>, Debian's <c>zookeeper-bin</c>) against Java and ZkCompat: the
/// same commands must print the same normalised output, watch events included.
/// </summary>
[TestFixture]
[Category("Interop")]
public class CClientInteropTests
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(2);

    // cli_mt's "get", "ls" and "ls2" always leave a watch behind; the comments say which fires where.
    private static readonly string[] Commands =
    [
        "create /cc",
        "create /cc/child",
        "get /cc",                  // data watch on /cc
        "ls /cc",                   // child watch on /cc
        "set /cc hello",            // fires the data watch
        "get /cc",                  // data watch on /cc again
        "ls2 /cc",                  // child watch on /cc again (same watcher: one event)
        "create2 +e /cc/eph",       // fires the child watch
        "create +s /cc/seq-",
        "get /cc/child",            // data watch on /cc/child
        "delete /cc/child",         // fires it as a deletion
        "get /cc/child",
        "delete /cc",
        "create /cc",
        "ls /",
        "config",
        "quit",
    ];

    private static readonly string[] ExpectedInJava =
    [
        "Creating [/cc] node (mode: 0)",
        "[/cc]: rc = 0",
        "\tname = /cc/seq-0000000002",
        "Watcher CHANGED_EVENT state = CONNECTED_STATE for path /cc",
        "Watcher CHILD_EVENT state = CONNECTED_STATE for path /cc",
        "Watcher DELETED_EVENT state = CONNECTED_STATE for path /cc/child",
        "hello",
        "\tephemeralOwner = <session1>",
        "/cc/child: rc = -101",
        "/cc: rc = -111",
        "[/cc]: rc = -110",
        "/zookeeper/config: rc = 0",
    ];

    [Test]
    public async Task CliMt_PrintsTheSameOnZkCompatAsOnJava()
    {
        using var cts = new CancellationTokenSource(SessionTimeout);
        var (java, zkCompat) = await BothServers.RunAsync(
            server => CliMtRunner.RunAsync(server.ConnectString, Commands, cts.Token),
            CheckJava,
            cancellationToken: cts.Token);

        string expected = CliMtOutputNormalizer.Normalize(java.Result.Render());
        string actual = CliMtOutputNormalizer.Normalize(zkCompat.Result.Render());
        if (expected != actual)
        {
            Assert.Fail(
                "cli_mt prints differently on ZkCompat than on Java (normalised):\n" + TextDiff.Unified(expected, actual) +
                $"\n--- full normalised Java transcript ---\n{expected}--- ZkCompat server log (tail) ---\n{zkCompat.LogTail()}");
        }
    }

    private static void CheckJava(ServerRun<CliMtTranscript> run)
    {
        string normalized = CliMtOutputNormalizer.Normalize(run.Result.Render());
        string context = $"\n--- normalised Java transcript ---\n{normalized}--- raw cli_mt output ---\n{run.Result.RawOutput}" +
                         $"\n--- Java server log (tail) ---\n{run.LogTail()}";
        var problems = run.Result.Steps.Where(s => s.Problem is not null).Select(s => $"'{s.Command}': {s.Problem}").ToList();
        if (problems.Count > 0) Assert.Fail($"cli_mt did not run cleanly against Java:\n{string.Join('\n', problems)}{context}");
        var lines = normalized.Split('\n');
        var missing = ExpectedInJava.Where(e => !lines.Contains(e)).ToList();
        if (missing.Count > 0) Assert.Fail($"cli_mt against Java lacks the line(s) the test exists to produce:\n{string.Join('\n', missing)}{context}");
    }
}
