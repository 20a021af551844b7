using System.Diagnostics;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// (c) A five-server ensemble loses its leader to <c>kill -9</c> in the middle of a write load. The
/// other four elect a new leader; every session (one per server) resumes on another server with its id,
/// its ephemeral intact; every acknowledged write is read back on every surviving server.
/// </summary>
[TestFixture(ServerKind.Java, Category = "Interop,EnsembleJava")]
[TestFixture(ServerKind.ZkCompat, Category = "Ensemble")]
[CancelAfter(TestTimeoutMs)]
public sealed class LeaderFailoverTests(ServerKind kind) : EnsembleTestBase(kind)
{
    private const int AckedBeforeKill = 250;
    private const int AckedPerWriterAfterKill = 25;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Killing_the_leader_under_load_loses_no_acknowledged_write_and_no_session()
    {
        var ensemble = await StartEnsembleAsync(5);
        var oldLeader = await ensemble.LeaderAsync(TestCancellation);
        var servers = ensemble.Nodes.Select(n => n.ClientAddress).ToList();

        string root = "/failover-" + Guid.NewGuid().ToString("N")[..8];
        var setup = await ConnectAsync(ensemble.ConnectString);
        await setup.CreateAsync(root, null, Open, ct: TestCancellation);

        // One session per server, so one of them is the leader's own client.
        var sessions = new List<ReconnectingSession>();
        for (int i = 0; i < servers.Count; i++)
        {
            sessions.Add(await ReconnectingSession.ConnectAsync(servers, i, SessionTimeout, TestCancellation));
        }
        try
        {
            await RunAsync(ensemble, oldLeader, root, sessions);
        }
        finally
        {
            // The ensemble goes after the test; dropping the connections is enough.
            foreach (var session in sessions) session.Client.Abort();
        }
    }

    private async Task RunAsync(ZooKeeperEnsemble ensemble, EnsembleNode oldLeader, string root, List<ReconnectingSession> sessions)
    {
        var ephemeralOwner = sessions[ensemble.Nodes.ToList().IndexOf(oldLeader)];
        string ephemeral = root + "/ephemeral-of-the-leaders-client";
        await ephemeralOwner.Client.CreateAsync(ephemeral, Bytes("still here"), Open, CreateMode.Ephemeral, ct: TestCancellation);

        var load = new SequentialWriteLoad(root);
        await load.StartAsync(sessions, TestCancellation);
        try
        {
            await load.AckedAtLeastAsync(AckedBeforeKill, TestCancellation);

            long killIssued = Stopwatch.GetTimestamp();
            await ensemble.KillAsync(oldLeader.ServerId);
            // Only a write sent once the process is gone cannot have been committed by the old leader.
            load.Mark();
            await Progress($"killed the leader {oldLeader} after {load.Writers.Sum(w => w.AckedCount)} acknowledged writes");

            var newLeader = await ensemble.LeaderAsync(TestCancellation);
            var elected = Stopwatch.GetElapsedTime(killIssued);
            Assert.That(newLeader.ServerId, Is.Not.EqualTo(oldLeader.ServerId), "a new leader");

            using (var recovery = CancellationTokenSource.CreateLinkedTokenSource(TestCancellation))
            {
                recovery.CancelAfter(RecoveryTimeout);
                try
                {
                    await load.EachAckedAfterMarkAsync(AckedPerWriterAfterKill, recovery.Token);
                }
                catch (OperationCanceledException) when (!TestCancellation.IsCancellationRequested)
                {
                    Assert.Fail($"not every session wrote {AckedPerWriterAfterKill} times within {RecoveryTimeout.TotalSeconds:F0}s of the kill:\n{load.Summary()}");
                }
            }
            await TestContext.Out.WriteLineAsync(
                $"{Kind}: kill -9 of leader {oldLeader} -> quorum with new leader {newLeader} seen after {elected.TotalMilliseconds:F0} ms; " +
                $"kill -9 to the first acknowledgement of a write sent after the leader died: " +
                $"{Stopwatch.GetElapsedTime(killIssued, load.FirstAckAfterMark!.Value).TotalMilliseconds:F0} ms");
        }
        finally
        {
            await load.StopAsync();
        }
        await TestContext.Out.WriteLineAsync(load.Summary());

        Assert.That(sessions.Select(s => s.Client.SessionId), Is.EqualTo(sessions.Select(s => s.SessionId)), "every session kept its id");
        Assert.That(ephemeralOwner.Reconnects, Is.GreaterThanOrEqualTo(1), "the leader's client moved to another server");

        foreach (var node in ensemble.Nodes.Where(n => n.IsUp))
        {
            var reader = await ConnectAsync(node.ClientAddress);
            await reader.SyncAsync(root, TestCancellation);
            var stat = await reader.ExistsAsync(ephemeral, ct: TestCancellation);
            Assert.That(stat?.EphemeralOwner, Is.EqualTo(ephemeralOwner.SessionId), $"{ephemeral} on {node}: still owned by its session");
            foreach (var writer in load.Writers)
            {
                var children = await reader.GetChildrenAsync(writer.Directory, ct: TestCancellation);
                var expected = Enumerable.Range(0, writer.KeysWritten).Select(n => $"k{n:D6}").ToList();
                Assert.That(children.Order(StringComparer.Ordinal).ToList(), Is.EqualTo(expected),
                    $"writer {writer.Index}'s keys on {node}: exactly k000000..k{writer.KeysWritten - 1:D6}");
                var missing = writer.AckedPaths.Select(p => p[(writer.Directory.Length + 1)..]).Except(children).ToList();
                Assert.That(missing, Is.Empty, $"acknowledged writes of writer {writer.Index} missing on {node}");
            }
            // The data of every acknowledged write, read back (pipelined) on this server.
            var acked = load.Writers.SelectMany(w => w.AckedPaths).ToList();
            foreach (var chunk in acked.Chunk(200))
            {
                var reads = await Task.WhenAll(chunk.Select(p => reader.GetDataAsync(p, ct: TestCancellation)));
                for (int i = 0; i < chunk.Length; i++)
                    Assert.That(reads[i].Data, Is.EqualTo(SequentialWriteLoad.Value(chunk[i])), $"{chunk[i]} on {node}");
            }
            await reader.CloseAsync(TestCancellation);
        }
    }
}
