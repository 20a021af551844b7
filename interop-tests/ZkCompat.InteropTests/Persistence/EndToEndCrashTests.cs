using System.Diagnostics;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// kill -9 of ZkCompat in the middle of a write load: a reply means the txn was logged, so after a
/// restart on the same data directory every acknowledged write must be there, nothing never sent may
/// be, and each client's writes must be present as a prefix. The load, kill and restart go round a
/// few times, so recovery also starts from a directory an earlier recovery repaired, and the crash
/// lands at different points (mid-batch, mid-roll, mid-snapshot). The files exactly as the last
/// crash left them must also start the stock Java server, which must serve the same tree.
/// The same run with the roles swapped is the control (Java passes the same checks) and proves that
/// ZkCompat takes over the data directory of a Java server that crashed.
/// </summary>
[TestFixture]
public sealed class EndToEndCrashTests : EndToEndFixture
{
    private const string LoadRoot = "/load";
    private const int Writers = 6;
    private const int InFlightPerWriter = 64;

    /// <summary>Acknowledged writes per round before the kill, one entry per round.</summary>
    private static readonly int[] AcksBeforeKill = [1500, 2500, 4000];

    private static void Configure(ZooCfg cfg)
    {
        cfg.ExtendedTypesEnabled = true;
        // Several log rolls and background snapshots during the load; small preallocation keeps the copy quick.
        cfg.Set("snapCount", "600");
        cfg.Set("preAllocSize", "1024");
    }

    [TestCase(ServerKind.ZkCompat, ServerKind.Java, TestName = "NoAcknowledgedWriteIsLostWhenZkCompatIsKilled")]
    [TestCase(ServerKind.Java, ServerKind.ZkCompat, TestName = "ZkCompatTakesOverAfterJavaIsKilled")]
    [CancelAfter(120_000)]
    public async Task NoAcknowledgedWriteIsLost(ServerKind crashing, ServerKind other)
    {
        var ct = TestCancellation;
        string dataDir = NewDir("data");
        string crashCopy = NewDir("crash-copy");
        var server = await StartOnAsync(crashing, dataDir, 0, Configure, ct);
        var setup = await ConnectAsync(server, null, ct);
        await setup.CreateAsync(LoadRoot, [], Acls.OpenAclUnsafe, ct: ct);
        await setup.CloseAsync(ct);

        var load = new WriteLoad(LoadRoot, InFlightPerWriter);
        TreeView restored = null!;
        for (int round = 1; round <= AcksBeforeKill.Length; round++)
        {
            var clients = new List<ZooKeeperClient>();
            for (int w = 0; w < Writers; w++) clients.Add(await ConnectAsync(server, null, ct));
            int ackedBefore = load.Acked, sentBefore = load.Sent;
            var stopwatch = Stopwatch.StartNew();
            var writers = clients.Select(client => Task.Run(() => load.RunAsync(client, ct), ct)).ToArray();

            await load.AckedAtLeastAsync(ackedBefore + AcksBeforeKill[round - 1], ct);
            await server.KillAsync();
            var failures = (await Task.WhenAll(writers)).SelectMany(f => f).ToList();
            await Progress($"round {round}: killed {crashing} after {stopwatch.Elapsed.TotalSeconds:F1}s of load, with " +
                $"{load.Sent - sentBefore} writes sent and {load.Acked - ackedBefore} acknowledged");
            Assert.That(failures, Is.Empty, "writes refused for another reason than the lost connection");

            if (round == AcksBeforeKill.Length)
            {
                var (snapshots, logs) = CountFiles(dataDir);
                await Progress($"the last crash left {snapshots} snapshots and {logs} logs");
                // The other server gets the files exactly as the crash left them, before the restart repairs torn tails.
                CopyDirectory(dataDir, crashCopy);
            }

            await server.RestartAsync(ct);
            restored = await ReadTreeAsync(server, ct);
            var problems = load.Verify(restored);
            Assert.That(problems, Is.Empty, $"round {round}: {problems.Count} problem(s) after the restart:\n" + string.Join('\n', problems.Take(30)));
            int present = restored.Data.Keys.Count(p => p.StartsWith(LoadRoot + "/", StringComparison.Ordinal));
            await Progress($"round {round}: after the restart {present} nodes under {LoadRoot}, all {load.Acked} acknowledged writes present, " +
                $"and {load.PresentUnacknowledged(restored)} of the {load.Sent - load.Acked} unacknowledged ones");
        }

        var otherServer = await StartOnAsync(other, crashCopy, 0, Configure, ct);
        var others = await ReadTreeAsync(otherServer, ct);
        var differences = others.DifferencesFrom(restored);
        Assert.That(differences, Is.Empty, $"{other} serves the crashed data directory differently from {crashing}: " + TreeView.Describe(differences));
    }
}
