using System.Globalization;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// (e) A follower killed with <c>kill -9</c> and restarted on its data directory catches up with the
/// leader: after a few writes from the leader's committed log (DIFF), after more writes than that log
/// holds and a snapshot (SNAP, as Java's leader falls back to it). Afterwards the follower's tree,
/// read after <c>sync</c>, equals the leader's node for node, Stat for Stat. Java says in its log which
/// way it synced; that is checked for Java only.
/// </summary>
[TestFixture(ServerKind.Java, Category = "Interop,EnsembleJava")]
[TestFixture(ServerKind.ZkCompat, Category = "Ensemble")]
[CancelAfter(TestTimeoutMs)]
public sealed class FollowerCatchUpTests(ServerKind kind) : EnsembleTestBase(kind)
{
    /// <summary>Java's leader keeps the last 500 committed proposals in memory (zookeeper.commitLogCount, minimum 500).</summary>
    private const int CommittedLogCount = 500;

    private const string JavaDiffLine = "Getting a diff from the leader";
    private const string JavaSnapLine = "Getting a snapshot from leader";
    private const string ConfigNode = "/zookeeper/config";

    /// <summary>A small snapCount so that the leader snapshots while the follower is down.</summary>
    private static readonly EnsembleOptions Options = new()
    {
        SystemProperties = new Dictionary<string, string> { ["zookeeper.snapCount"] = "100" },
    };

    [Test]
    public Task Restarted_follower_gets_a_diff_after_a_few_writes() => KillWriteRestartAsync(writesWhileDown: 20, JavaDiffLine);

    [Test]
    public Task Restarted_follower_gets_a_snapshot_after_more_writes_than_the_committed_log_holds() =>
        KillWriteRestartAsync(writesWhileDown: CommittedLogCount + 200, JavaSnapLine, expectLeaderSnapshot: true);

    private async Task KillWriteRestartAsync(int writesWhileDown, string javaSyncLine, bool expectLeaderSnapshot = false)
    {
        var ensemble = await StartEnsembleAsync(3, options: Options);
        var quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        var leader = quorum.Leader;
        var follower = quorum.Followers[0];

        string root = "/catchup-" + Guid.NewGuid().ToString("N")[..8];
        var writer = await ConnectAsync(leader.ClientAddress);
        await writer.CreateAsync(root, null, Open, ct: TestCancellation);
        await WriteAsync(writer, root, "before", 30);
        // The follower has applied everything so far once a sync through it returns.
        var followerClient = await ConnectAsync(follower.ClientAddress);
        await followerClient.SyncAsync(root, TestCancellation);
        long followerZxid = (await ZooKeeperEnsemble.QueryAsync(follower, TestCancellation)).Zxid ?? 0;
        followerClient.Abort();

        await ensemble.KillAsync(follower.ServerId);
        await WriteAsync(writer, root, "while-down", writesWhileDown);
        // Updates too, so the follower must apply changes to nodes it has, not only new nodes.
        for (int i = 0; i < 30; i += 3)
            await writer.SetDataAsync($"{root}/before-{i:D5}", Bytes("changed while the follower was down"), ct: TestCancellation);
        await writer.DeleteAsync($"{root}/before-00001", ct: TestCancellation);

        var leaderSnapshots = SnapshotZxids(leader.DataDir);
        await Progress($"follower {follower} killed at zxid 0x{followerZxid:x}; {writesWhileDown} writes later the leader has snapshots " +
                       string.Join(", ", leaderSnapshots.Select(z => $"0x{z:x}")));
        if (expectLeaderSnapshot)
        {
            Assert.That(leaderSnapshots.Any(z => z > followerZxid), Is.True,
                $"the leader took a snapshot while the follower was down (snapCount 100); its snapshots: {string.Join(", ", leaderSnapshots.Select(z => $"0x{z:x}"))}");
        }

        await ensemble.RestartAsync(follower.ServerId, cancellationToken: TestCancellation);
        quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        Assert.That(quorum.Leader, Is.SameAs(leader), "the leader stays the leader");

        var expected = await ReadTreeAfterSyncAsync(leader);
        var actual = await ReadTreeAfterSyncAsync(follower);
        // Each server writes /zookeeper/config itself at start, with its own clock as mtime; the content must agree.
        Assert.That(actual.Data.GetValueOrDefault(ConfigNode), Is.EqualTo(expected.Data.GetValueOrDefault(ConfigNode)), ConfigNode);
        expected.Lines.Remove(ConfigNode);
        actual.Lines.Remove(ConfigNode);
        var differences = actual.DifferencesFrom(expected);
        Assert.That(differences, Is.Empty, $"the restarted follower's tree differs from the leader's:\n{string.Join('\n', differences.Take(20))}");
        Assert.That(actual.Lines.Keys.Count(p => p.StartsWith(root + "/", StringComparison.Ordinal)), Is.EqualTo(30 - 1 + writesWhileDown));

        string runLog = follower.Process.CurrentRunLog;
        string[] syncLines = runLog.Split('\n').Where(l => l.Contains(JavaDiffLine, StringComparison.Ordinal)
            || l.Contains(JavaSnapLine, StringComparison.Ordinal) || l.Contains("Truncating log", StringComparison.Ordinal)).ToArray();
        await TestContext.Out.WriteLineAsync($"{Kind} follower sync after {writesWhileDown} writes: " +
                                             (syncLines.Length == 0 ? "(no Java-style sync line logged)" : string.Join(" | ", syncLines)));
        if (Kind == ServerKind.Java)
            Assert.That(syncLines, Has.Some.Contains(javaSyncLine), $"how the Java follower synced; its log:\n{runLog}");
    }

    /// <summary><paramref name="count"/> creates <c>root/prefix-00000</c>..., pipelined a hundred at a time.</summary>
    private static async Task WriteAsync(ZooKeeperClient client, string root, string prefix, int count)
    {
        foreach (var chunk in Enumerable.Range(0, count).Chunk(100))
        {
            await Task.WhenAll(chunk.Select(i =>
                client.CreateAsync($"{root}/{prefix}-{i:D5}", Bytes($"{prefix} #{i}"), Open, ct: TestCancellation)));
        }
    }

    /// <summary>The zxids in the names of the snapshot files in <c>dataDir/version-2</c>.</summary>
    private static List<long> SnapshotZxids(string dataDir) =>
        Directory.GetFiles(Path.Combine(dataDir, "version-2"), "snapshot.*")
            .Select(f => Path.GetExtension(f).TrimStart('.'))
            .Select(hex => long.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long zxid) ? zxid : -1)
            .Where(z => z >= 0)
            .Order()
            .ToList();
}
