using System.Diagnostics;
using System.Text.RegularExpressions;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// A data directory moves between the stock Java server and ZkCompat, both ways, as an operator would
/// move it: one server writes thousands of nodes of every kind through the protocol (small snapCount,
/// so the directory holds many snapshots and logs), is stopped as <c>zkServer.sh stop</c> stops it,
/// and the other server starts on the same directory and port. Every node must read back exactly as
/// it did from the first server just before the stop (data, ACL, all Stat fields, children), the
/// session left open must still be there with its ephemerals and be resumable with its password, and
/// the next write must carry on the zxid sequence. Finally Java's and ZkCompat's restores of the files
/// the second server leaves behind must agree, TTLs included.
/// </summary>
[TestFixture]
public sealed class EndToEndMigrationTests : EndToEndFixture
{
    private static readonly Regex TtlNode = new(@"^/e2e/ttl/t-\d{3} ", RegexOptions.CultureInvariant);

    private static void Configure(ZooCfg cfg)
    {
        cfg.ExtendedTypesEnabled = true;
        cfg.Set("snapCount", "100");
    }

    [TestCase(ServerKind.Java, ServerKind.ZkCompat, TestName = "DataDirMovesFromJavaToZkCompat")]
    [TestCase(ServerKind.ZkCompat, ServerKind.Java, TestName = "DataDirMovesFromZkCompatToJava")]
    [CancelAfter(120_000)]
    public async Task DataDirMoves(ServerKind from, ServerKind to)
    {
        var ct = TestCancellation;
        string dataDir = NewDir("data");

        var source = await StartOnAsync(from, dataDir, 0, Configure, ct);
        var stopwatch = Stopwatch.StartNew();
        var keeper = await EveryKindWorkload.WriteAsync(options => ConnectAsync(source, options, ct), ct);
        await Progress($"workload written to {from} in {stopwatch.Elapsed.TotalSeconds:F1}s");
        var before = await ReadTreeAsync(source, ct);
        var keptEphemerals = before.EphemeralsOf(keeper.SessionId);

        // The workload did what it is meant to, or the comparison below would prove little.
        Assert.That(before.Count, Is.GreaterThan(2300), "nodes written");
        Assert.That(keptEphemerals, Has.Count.EqualTo(251), "ephemerals of the session left open");
        Assert.That(before.Lines.Keys.Count(p => p.StartsWith(EveryKindWorkload.Root + "/ttl/", StringComparison.Ordinal)), Is.GreaterThan(130), "TTL nodes");
        var (snapshots, logs) = CountFiles(dataDir);
        Assert.That(snapshots, Is.GreaterThanOrEqualTo(3), "snapshots");
        Assert.That(logs, Is.GreaterThanOrEqualTo(3), "txn logs");
        await Progress($"{from} wrote {snapshots} snapshots and {logs} logs");

        await source.StopAsync(ct);
        keeper.Abort(); // its server is gone; the session is not

        var target = await StartOnAsync(to, dataDir, source.Port, Configure, ct);
        var after = await ReadTreeAsync(target, ct);
        var differences = after.DifferencesFrom(before);
        Assert.That(differences, Is.Empty, $"{to} serves {from}'s data directory differently: " + TreeView.Describe(differences));

        // The session left open lives on, and its client can come back to the new server.
        var resumed = await ConnectAsync(target, new ZooKeeperClientOptions
        {
            SessionId = keeper.SessionId,
            Password = keeper.Password,
            SessionTimeout = EveryKindWorkload.KeeperSessionTimeout,
            LastZxidSeen = keeper.LastZxid,
        }, ct);
        Assert.That(resumed.SessionId, Is.EqualTo(keeper.SessionId));
        var ephemerals = await resumed.GetEphemeralsAsync("/", ct);
        Assert.That(ephemerals.Order(StringComparer.Ordinal), Is.EqualTo(keptEphemerals), "getEphemerals of the resumed session");

        // New writes continue after the last zxid the first server handed out.
        var (_, created) = await resumed.Create2Async(EveryKindWorkload.Root + "/after-move", [1], Acls.OpenAclUnsafe, ct: ct);
        Assert.That(created.Czxid, Is.GreaterThan(Math.Max(before.MaxZxid(), keeper.LastZxid)), "zxid of the first write after the move");

        // Closing the session removes its ephemerals on the server it moved to.
        await resumed.CloseAsync(ct);
        var check = await ConnectAsync(target, null, ct);
        foreach (string path in keptEphemerals.Take(5).Append(keptEphemerals[^1]))
            Assert.That(await check.ExistsAsync(path, ct: ct), Is.Null, $"{path} after its session closed");
        await check.CloseAsync(ct);

        // What clients cannot see: the TTLs (their Stat shows ephemeralOwner 0), the sessions, the digest.
        // After the second server's own snapshot and log, both restores of the files still agree.
        await target.StopAsync(ct);
        string javas = EndToEndJavaDump.Dump(dataDir);
        string ours = BuiltServerPersistence.Dump(dataDir);
        Assert.That(ours, Is.EqualTo(javas), "ZkCompat's and Java's restores of the data directory after the move");
        var ttlNodes = javas.Split('\n').Where(line => TtlNode.IsMatch(line)).ToList();
        Assert.That(ttlNodes, Has.Count.EqualTo(100).And.All.Contains(" ephemeralOwner=0xff"), "TTL nodes keep their TTL in the files");
    }
}
