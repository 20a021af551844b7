using System.Diagnostics;
using ZkCompat.Client;
using ZkCompat.InteropTests.Ensemble;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// <c>kill -9</c> of the leader of a mixed ensemble in the middle of a write load (one session per
/// server, one of them holding an ephemeral through the leader). The survivors, of both kinds, elect
/// a new leader; every session resumes elsewhere with its id and its ephemeral; every acknowledged
/// write is on every survivor. The old leader then restarts on its data directory, rejoins as a
/// follower of the new leader (discarding whatever it had not committed) and shows the same tree.
/// </summary>
[Category("Mixed")]
[CancelAfter(TestTimeoutMs)]
public sealed class MixedLeaderKillTests : MixedEnsembleTestBase
{
    private const int AckedBeforeKill = 200;
    private const int AckedPerWriterAfterKill = 20;
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A ZkCompat leader dies; three Java servers and a ZkCompat one elect among themselves.</summary>
    [Test]
    public Task Killing_a_ZkCompat_leader_of_five_loses_no_acknowledged_write_and_no_session() => KillLeaderAsync(MixedShape.Parse("J Z J J Z"));

    /// <summary>A Java leader dies; the two ZkCompat servers elect one of them, and the Java server rejoins as its follower.</summary>
    [Test]
    public Task Killing_a_Java_leader_of_three_loses_no_acknowledged_write_and_no_session() => KillLeaderAsync(MixedShape.Parse("Z Z J"));

    private async Task KillLeaderAsync(MixedShape shape)
    {
        var ensemble = await StartMixedAsync(shape);
        var oldLeader = await ensemble.LeaderAsync(TestCancellation);
        var servers = ensemble.Nodes.Select(n => n.ClientAddress).ToList();

        string root = "/mixed-kill-" + Guid.NewGuid().ToString("N")[..8];
        var setup = await ConnectAsync(ensemble.ConnectString);
        await setup.CreateAsync(root, null, Open, ct: TestCancellation);
        await setup.CloseAsync(TestCancellation);

        var sessions = new List<ReconnectingSession>();
        for (int i = 0; i < servers.Count; i++) sessions.Add(await ReconnectingSession.ConnectAsync(servers, i, SessionTimeout, TestCancellation));
        try
        {
            await RunAsync(shape, ensemble, oldLeader, root, sessions);
        }
        finally
        {
            foreach (var session in sessions) session.Client.Abort();
        }
    }

    private async Task RunAsync(MixedShape shape, ZooKeeperEnsemble ensemble, EnsembleNode oldLeader, string root, List<ReconnectingSession> sessions)
    {
        var ephemeralOwner = sessions[(int)oldLeader.ServerId - 1];
        string ephemeral = root + "/ephemeral-of-the-leaders-client";
        await ephemeralOwner.Client.CreateAsync(ephemeral, Bytes("still here"), Open, CreateMode.Ephemeral, ct: TestCancellation);

        var load = new SequentialWriteLoad(root);
        await load.StartAsync(sessions, TestCancellation);
        EnsembleNode newLeader;
        try
        {
            await load.AckedAtLeastAsync(AckedBeforeKill, TestCancellation);
            long killIssued = Stopwatch.GetTimestamp();
            await ensemble.KillAsync(oldLeader.ServerId);
            load.Mark();
            await Progress($"{shape}: killed the leader {oldLeader} after {load.Writers.Sum(w => w.AckedCount)} acknowledged writes");

            newLeader = await ensemble.LeaderAsync(TestCancellation);
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
                $"{shape}: kill -9 of leader {oldLeader} -> quorum with new leader {newLeader} after {elected.TotalMilliseconds:F0} ms; " +
                $"first acknowledgement of a write sent after the kill {Stopwatch.GetElapsedTime(killIssued, load.FirstAckAfterMark!.Value).TotalMilliseconds:F0} ms after it");
        }
        finally
        {
            await load.StopAsync();
        }
        await TestContext.Out.WriteLineAsync(load.Summary());

        Assert.That(sessions.Select(s => s.Client.SessionId), Is.EqualTo(sessions.Select(s => s.SessionId)), "every session kept its id");
        Assert.That(ephemeralOwner.Reconnects, Is.GreaterThanOrEqualTo(1), "the leader's client moved to another server");
        foreach (var node in ensemble.Nodes.Where(n => n.IsUp)) await AssertEverythingOnAsync(node, root, ephemeral, ephemeralOwner, load);

        // The old leader comes back as a follower and catches up (it may have logged proposals nobody committed).
        await ensemble.RestartAsync(oldLeader.ServerId, cancellationToken: TestCancellation);
        var quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
        Assert.That(quorum.Leader, Is.SameAs(newLeader), "the new leader keeps leading when the old one returns");
        await AssertEverythingOnAsync(oldLeader, root, ephemeral, ephemeralOwner, load);
        var differences = await TreeDifferencesAsync(ensemble, root);
        Assert.That(differences, Is.Empty, $"{shape}, after the old leader rejoined: {DescribeDifferences(differences)}");
    }

    /// <summary>On <paramref name="node"/>, after sync: the ephemeral with its owner, each writer's keys exactly, every acknowledged value.</summary>
    private async Task AssertEverythingOnAsync(EnsembleNode node, string root, string ephemeral, ReconnectingSession owner, SequentialWriteLoad load)
    {
        var reader = await ConnectAsync(node.ClientAddress);
        await reader.SyncAsync(root, TestCancellation);
        var stat = await reader.ExistsAsync(ephemeral, ct: TestCancellation);
        Assert.That(stat?.EphemeralOwner, Is.EqualTo(owner.SessionId), $"{ephemeral} on {node}: still owned by its session");
        foreach (var writer in load.Writers)
        {
            var children = await reader.GetChildrenAsync(writer.Directory, ct: TestCancellation);
            var missing = writer.AckedPaths.Select(p => p[(writer.Directory.Length + 1)..]).Except(children).ToList();
            Assert.That(missing, Is.Empty, $"acknowledged writes of writer {writer.Index} missing on {node}");
            var expected = Enumerable.Range(0, writer.KeysWritten).Select(n => $"k{n:D6}").ToList();
            Assert.That(children.Order(StringComparer.Ordinal).ToList(), Is.EqualTo(expected),
                $"writer {writer.Index}'s keys on {node}: exactly k000000..k{writer.KeysWritten - 1:D6}");
        }
        foreach (var chunk in load.Writers.SelectMany(w => w.AckedPaths).Chunk(200))
        {
            var reads = await Task.WhenAll(chunk.Select(p => reader.GetDataAsync(p, ct: TestCancellation)));
            for (int i = 0; i < chunk.Length; i++)
                Assert.That(reads[i].Data, Is.EqualTo(SequentialWriteLoad.Value(chunk[i])), $"{chunk[i]} on {node}");
        }
        await reader.CloseAsync(TestCancellation);
    }
}
