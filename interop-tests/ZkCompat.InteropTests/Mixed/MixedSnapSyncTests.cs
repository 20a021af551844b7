using System.Diagnostics;
using System.Text;
using ZkCompat.Client;
using ZkCompat.InteropTests.Persistence;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// SNAP across kinds with a large tree: a follower whose data directory is empty (as a new server's)
/// joins a leader of the other kind holding more than 100k znodes. Having nothing, it gets the whole
/// tree as a snapshot (both kinds log "Getting a snapshot from leader"), sessions and their
/// ephemerals included; afterwards its tree equals the leader's node for node, Stat for Stat, ACL for
/// ACL, and it serves writes like any follower.
/// </summary>
[Category("Mixed")]
[Category("MixedLong")]
[CancelAfter(LongTestTimeoutMs)]
public sealed class MixedSnapSyncTests : MixedEnsembleTestBase
{
    private const int LongTestTimeoutMs = 480_000;
    private const int Directories = 100;
    private const int NodesPerDirectory = 1_000;
    private const string SnapLine = "Getting a snapshot from leader";
    private const string ConfigNode = "/zookeeper/config";

    /// <summary>Creates in flight at once: enough to batch the leader's fsyncs, below its outstanding-request limit (1000).</summary>
    private const int WriteWindow = 500;

    private static readonly IReadOnlyList<ACL> DigestAcl =
    [
        new ACL((int)Perms.All, new Id("digest", "snap:7cE6u6GbADR0uBvXU6RbPx6OUC8=")),
        new ACL((int)Perms.Read, new Id("world", "anyone")),
    ];

    [Test]
    public Task A_fresh_Java_follower_gets_a_100k_tree_from_a_ZkCompat_leader_by_SNAP() => FreshFollowerAsync(MixedShape.Parse("J Z Z"));

    [Test]
    public Task A_fresh_ZkCompat_follower_gets_a_100k_tree_from_a_Java_leader_by_SNAP() => FreshFollowerAsync(MixedShape.Parse("Z J J"));

    private async Task FreshFollowerAsync(MixedShape shape)
    {
        var ensemble = await StartMixedAsync(shape);
        var leader = await ensemble.LeaderAsync(TestCancellation);
        var fresh = ensemble.Node(1);
        await ensemble.StopAsync(fresh.ServerId, TestCancellation);
        EmptyDataDir(fresh.DataDir);

        string root = "/mixed-snap-" + Guid.NewGuid().ToString("N")[..8];
        var writer = await ConnectAsync(leader.ClientAddress);
        var stopwatch = Stopwatch.StartNew();
        int written = await WriteTreeAsync(writer, root);
        // A live session's ephemerals travel in the snapshot with the session.
        var owner = await ConnectAsync(ensemble.Node(2).ClientAddress);
        for (int i = 0; i < 10; i++)
            await owner.CreateAsync($"{root}/eph-{i}", Bytes($"ephemeral {i}"), Open, CreateMode.Ephemeral, ct: TestCancellation);
        await Progress($"{shape}: wrote {written + 10} znodes through {leader} in {stopwatch.Elapsed.TotalSeconds:F1}s while {fresh} was down and emptied");

        stopwatch.Restart();
        await ensemble.RestartAsync(fresh.ServerId, cancellationToken: TestCancellation);
        var quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        await Progress($"{shape}: {fresh} synced and the quorum is whole after {stopwatch.Elapsed.TotalSeconds:F1}s");
        Assert.That(quorum.Leader, Is.SameAs(leader), "the leader stays the leader");
        string runLog = fresh.Process.CurrentRunLog;
        Assert.That(runLog, Does.Contain(SnapLine), $"{fresh} synced by SNAP; its log:\n{Tail(runLog)}");

        // The fresh follower serves writes like any follower, before and after the comparison.
        var throughFresh = await ConnectAsync(fresh.ClientAddress);
        await throughFresh.CreateAsync($"{root}/via-fresh", Bytes("after SNAP"), Open, ct: TestCancellation);
        await throughFresh.SetDataAsync($"{root}/d000", Bytes("changed via the fresh follower"), ct: TestCancellation);

        stopwatch.Restart();
        var expected = await ReadTreeAfterSyncAsync(leader);
        var actual = await ReadTreeAfterSyncAsync(fresh);
        await Progress($"{shape}: read both trees ({expected.Count} and {actual.Count} znodes) in {stopwatch.Elapsed.TotalSeconds:F1}s");
        Assert.That(expected.Count, Is.GreaterThan(Directories * NodesPerDirectory), "the tree holds more than 100k znodes");
        // Each server writes /zookeeper/config itself at start, with its own clock as mtime; the content must agree.
        Assert.That(Text(actual.Data.GetValueOrDefault(ConfigNode)), Is.EqualTo(Text(expected.Data.GetValueOrDefault(ConfigNode))), ConfigNode);
        expected.Lines.Remove(ConfigNode);
        actual.Lines.Remove(ConfigNode);
        var differences = actual.DifferencesFrom(expected);
        Assert.That(differences, Is.Empty, $"{shape}: {fresh}'s tree after SNAP vs the leader {leader}'s: {TreeView.Describe(differences)}");
        Assert.That(actual.EphemeralsOf(owner.SessionId), Has.Count.EqualTo(10), $"the ephemerals of session 0x{owner.SessionId:x} on {fresh}");

        // The session came in the snapshot too: closing it removes its ephemerals on the fresh follower.
        await owner.CloseAsync(TestCancellation);
        await throughFresh.SyncAsync(root, TestCancellation);
        var left = (await throughFresh.GetChildrenAsync(root, ct: TestCancellation)).Where(c => c.StartsWith("eph-", StringComparison.Ordinal)).ToList();
        Assert.That(left, Is.Empty, $"ephemerals of the closed session still on {fresh}");
    }

    /// <summary>
    /// 100 directories of 1000 znodes, with data of varying length (some none), every tenth znode
    /// with a digest ACL, every hundredth changed twice and some sequential: different Stats, ACLs
    /// and cversions for the snapshot to carry. Returns how many znodes were created.
    /// </summary>
    private static async Task<int> WriteTreeAsync(ZooKeeperClient client, string root)
    {
        await client.CreateAsync(root, Bytes("snap root"), Open, ct: TestCancellation);
        var requests = new List<Func<Task>>();
        for (int d = 0; d < Directories; d++)
        {
            string dir = $"{root}/d{d:D3}";
            requests.Add(() => client.CreateAsync(dir, Bytes(dir), Open, ct: TestCancellation));
        }
        await RunWindowedAsync(requests);
        requests.Clear();
        for (int d = 0; d < Directories; d++)
        {
            for (int n = 0; n < NodesPerDirectory; n++)
            {
                string path = $"{root}/d{d:D3}/n{n:D4}";
                byte[]? data = n % 7 == 0 ? null : Encoding.UTF8.GetBytes(new string((char)('a' + n % 26), n % 61));
                var acl = n % 10 == 3 ? DigestAcl : Open;
                var mode = n % 50 == 49 ? CreateMode.PersistentSequential : CreateMode.Persistent;
                requests.Add(() => client.CreateAsync(path, data, acl, mode, ct: TestCancellation));
            }
        }
        await RunWindowedAsync(requests);
        requests.Clear();
        for (int d = 0; d < Directories; d++)
        {
            for (int n = 0; n < NodesPerDirectory; n += 100)
            {
                string path = $"{root}/d{d:D3}/n{n:D4}";
                requests.Add(async () =>
                {
                    await client.SetDataAsync(path, Bytes("changed once"), ct: TestCancellation);
                    await client.SetDataAsync(path, Bytes("changed twice"), ct: TestCancellation);
                });
            }
        }
        await RunWindowedAsync(requests);
        return 1 + Directories + Directories * NodesPerDirectory;
    }

    private static async Task RunWindowedAsync(IReadOnlyList<Func<Task>> requests)
    {
        foreach (var chunk in requests.Chunk(WriteWindow)) await Task.WhenAll(chunk.Select(r => r()));
    }

    /// <summary>What a server that never ran has: only <c>myid</c> (snapshots, logs and epoch files go).</summary>
    private static void EmptyDataDir(string dataDir)
    {
        foreach (string dir in Directory.GetDirectories(dataDir)) Directory.Delete(dir, recursive: true);
        foreach (string file in Directory.GetFiles(dataDir).Where(f => Path.GetFileName(f) != "myid")) File.Delete(file);
    }

    private static string Tail(string log, int lines = 80) => string.Join('\n', log.Split('\n').TakeLast(lines));
}
