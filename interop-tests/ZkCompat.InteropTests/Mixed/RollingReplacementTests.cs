using System.Diagnostics;
using ZkCompat.InteropTests.Ensemble;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// A rolling replacement, as an operator would migrate: three servers of one kind under a steady
/// write load (one session per server) and a Curator LeaderLatch with three participants; server 1,
/// 2, 3 in turn is stopped and started as the other kind on the same data directory and ports (the
/// leader, server 3, last: its successor is elected among replaced servers). At the end no
/// acknowledged write is missing on any server, every session is alive with its ephemeral, and the
/// latch never had two leaders nor lost a session. Java → ZkCompat, and back ZkCompat → Java.
/// </summary>
[Category("Mixed")]
[Category("MixedLong")]
[CancelAfter(LongTestTimeoutMs)]
public sealed class RollingReplacementTests : MixedEnsembleTestBase
{
    private const int LongTestTimeoutMs = 480_000;
    private const int Writers = 3;
    private const int LatchParticipants = 3;

    /// <summary>Acknowledged writes per writer after each replacement before the next one starts.</summary>
    private const int AckedPerWriterPerStep = 100;

    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A small snapCount, so that each kind takes snapshots and rolls its log while it runs: the server
    /// that replaces it must load the other kind's snapshot and the log written after it.
    /// </summary>
    private static readonly EnsembleOptions Options = new()
    {
        SystemProperties = new Dictionary<string, string> { ["zookeeper.snapCount"] = "150" },
    };
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan LatchSettleTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public Task Replacing_three_Java_servers_one_by_one_by_ZkCompat_loses_nothing() => RollAsync(ServerKind.Java, ServerKind.ZkCompat);

    [Test]
    public Task Replacing_three_ZkCompat_servers_one_by_one_by_Java_loses_nothing() => RollAsync(ServerKind.ZkCompat, ServerKind.Java);

    private async Task RollAsync(ServerKind from, ServerKind to)
    {
        var shape = new MixedShape($"{from} -> {to}", Enumerable.Repeat(EnsembleMember.Participant(from), 3).ToList());
        var ensemble = await StartMixedAsync(shape, Options);
        var servers = ensemble.Nodes.Select(n => n.ClientAddress).ToList();
        string root = "/mixed-roll-" + Guid.NewGuid().ToString("N")[..8];
        var setup = await ConnectAsync(ensemble.ConnectString);
        await setup.CreateAsync(root, null, Open, ct: TestCancellation);
        await setup.CloseAsync(TestCancellation);

        var sessions = new List<ReconnectingSession>();
        for (int i = 0; i < Writers; i++) sessions.Add(await ReconnectingSession.ConnectAsync(servers, i, SessionTimeout, TestCancellation));
        var ephemerals = new Dictionary<string, ReconnectingSession>();
        foreach (var session in sessions)
        {
            string path = $"{root}/alive-0x{session.SessionId:x}";
            await session.Client.CreateAsync(path, null, Open, CreateMode.Ephemeral, ct: TestCancellation);
            ephemerals[path] = session;
        }

        await using var latch = await LeaderLatchWatchProgram.StartAsync(ensemble.ConnectString, root + "-latch", LatchParticipants, TestCancellation);
        var load = new SequentialWriteLoad(root);
        var timings = new List<string>();
        var total = Stopwatch.StartNew();
        try
        {
            await load.StartAsync(sessions, TestCancellation);
            await WithinAsync(load.AckedAtLeastAsync(Writers * AckedPerWriterPerStep, TestCancellation), "the first writes", load);
            var first = await latch.OneLeaderAsync(LatchSettleTimeout, TestCancellation);
            Assert.That(first.Leaders, Is.EqualTo(1), $"the latch has one leader before the roll: {first.Line}\n{latch.Output}");

            foreach (var node in ensemble.Nodes)
            {
                var step = Stopwatch.StartNew();
                var leaderBefore = await ensemble.LeaderAsync(TestCancellation);
                await ensemble.StopAsync(node.ServerId, TestCancellation);
                await ensemble.RestartAsync(node.ServerId, to, cancellationToken: TestCancellation);
                var quorum = await ensemble.WaitForQuorumAsync(cancellationToken: TestCancellation);
                var serving = step.Elapsed;
                load.Mark();
                await WithinAsync(load.EachAckedAfterMarkAsync(AckedPerWriterPerStep, TestCancellation), $"writes after replacing {node}", load);
                var status = await latch.OneLeaderAsync(LatchSettleTimeout, TestCancellation);
                string line = $"server.{node.ServerId}{(node == leaderBefore ? " (the leader)" : "")} {from} -> {to}: quorum again after " +
                              $"{serving.TotalSeconds:F1}s, leader {quorum.Leader}; every writer acknowledged {AckedPerWriterPerStep} more " +
                              $"after {step.Elapsed.TotalSeconds:F1}s; latch: {status.Line}";
                timings.Add(line);
                await Progress(line);
                Assert.That(status.Leaders, Is.EqualTo(1), $"the latch has one leader after replacing {node}: {status.Line}\n{latch.Output}");
            }
        }
        finally
        {
            await load.StopAsync();
        }
        var summary = await latch.StopAsync(TestCancellation);
        await TestContext.Out.WriteLineAsync($"{from} -> {to} in {total.Elapsed.TotalSeconds:F1}s\n{string.Join('\n', timings)}\n{load.Summary()}\nlatch: {summary.Line}");

        Assert.That(ensemble.Nodes.Select(n => n.Kind), Is.All.EqualTo(to), "every server replaced");
        Assert.Multiple(() =>
        {
            Assert.That(latch.TwoLeaderLines, Is.Empty, $"the latch had two leaders at once:\n{latch.Output}");
            Assert.That(summary.MaxLeaders, Is.EqualTo(1), $"most latch leaders at once: {summary.Line}");
            Assert.That(summary.Lost, Is.Zero, $"latch sessions lost: {summary.Line}\n{latch.Output}");
            Assert.That(sessions.Select(s => s.Client.SessionId), Is.EqualTo(sessions.Select(s => s.SessionId)), "every writer kept its session");
        });

        foreach (var node in ensemble.Nodes)
        {
            var reader = await ConnectAsync(node.ClientAddress);
            await reader.SyncAsync(root, TestCancellation);
            foreach (var (path, session) in ephemerals)
            {
                var stat = await reader.ExistsAsync(path, ct: TestCancellation);
                Assert.That(stat?.EphemeralOwner, Is.EqualTo(session.SessionId), $"{path} on {node}: its session is alive");
            }
            foreach (var writer in load.Writers)
            {
                var children = await reader.GetChildrenAsync(writer.Directory, ct: TestCancellation);
                var missing = writer.AckedPaths.Select(p => p[(writer.Directory.Length + 1)..]).Except(children).ToList();
                Assert.That(missing, Is.Empty, $"acknowledged writes of writer {writer.Index} missing on {node}");
                var expected = Enumerable.Range(0, writer.KeysWritten).Select(n => $"k{n:D6}").ToList();
                Assert.That(children.Order(StringComparer.Ordinal).ToList(), Is.EqualTo(expected), $"writer {writer.Index}'s keys on {node}");
            }
            foreach (var chunk in load.Writers.SelectMany(w => w.AckedPaths).Chunk(200))
            {
                var reads = await Task.WhenAll(chunk.Select(p => reader.GetDataAsync(p, ct: TestCancellation)));
                for (int i = 0; i < chunk.Length; i++)
                    Assert.That(reads[i].Data, Is.EqualTo(SequentialWriteLoad.Value(chunk[i])), $"{chunk[i]} on {node}");
            }
            await reader.CloseAsync(TestCancellation);
        }
        var differences = await TreeDifferencesAsync(ensemble, root);
        Assert.That(differences, Is.Empty, $"{shape}: {DescribeDifferences(differences)}");
        foreach (var session in sessions) await session.DisposeAsync();
    }

    /// <summary>Awaits the load's <paramref name="condition"/> for at most <see cref="StepTimeout"/>, failing with every writer's progress.</summary>
    private static async Task WithinAsync(Task condition, string what, SequentialWriteLoad load)
    {
        try
        {
            await condition.WaitAsync(StepTimeout, TestCancellation);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"{what}: not within {StepTimeout.TotalSeconds:F0}s:\n{load.Summary()}");
        }
    }
}
