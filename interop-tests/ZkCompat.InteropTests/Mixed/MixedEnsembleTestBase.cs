using System.Diagnostics;
using NUnit.Framework.Interfaces;
using ZkCompat.Client;
using ZkCompat.InteropTests.Ensemble;
using ZkCompat.InteropTests.Persistence;
using ZkCompat.InteropTests.Servers;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// Plumbing of the mixed-ensemble tests (issue 6): ensembles whose servers are partly Debian's Java
/// ZooKeeper 3.8, partly ZkCompat, with the leader's kind forced. Clients, failure logs and the
/// helpers come from <see cref="EnsembleTestBase"/>; its single-kind starters are not used here (its
/// <see cref="EnsembleTestBase.Kind"/> means nothing for a mixed ensemble).
/// </summary>
public abstract class MixedEnsembleTestBase() : EnsembleTestBase(ServerKind.ZkCompat)
{
    /// <summary>How many times the rig restarts a wrong leader before it gives up.</summary>
    private const int MaxLeaderMoves = 3;

    private readonly List<ZooKeeperEnsemble> _ensembles = [];
    private readonly List<ZooKeeperEnsemble> _fixtureEnsembles = [];

    [TearDown]
    public async Task TearDownMixedEnsemblesAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status != TestStatus.Passed)
            await PrintLogsAsync(_fixtureEnsembles.Concat(_ensembles));
        foreach (var ensemble in _ensembles) await ensemble.DisposeAsync();
        _ensembles.Clear();
    }

    [OneTimeTearDown]
    public async Task TearDownMixedFixtureEnsemblesAsync()
    {
        foreach (var ensemble in _fixtureEnsembles) await ensemble.DisposeAsync();
        _fixtureEnsembles.Clear();
    }

    /// <summary>Starts <paramref name="shape"/> for this test (disposed after it) and makes its leader the one the shape names.</summary>
    protected async Task<ZooKeeperEnsemble> StartMixedAsync(MixedShape shape, EnsembleOptions? options = null)
    {
        var ensemble = await StartUntrackedAsync(shape, options, TestCancellation);
        _ensembles.Add(ensemble);
        await ForceLeaderAsync(ensemble, shape, TestCancellation);
        return ensemble;
    }

    /// <summary>As <see cref="StartMixedAsync"/>, shared by the fixture's tests and disposed after the fixture.</summary>
    protected async Task<ZooKeeperEnsemble> StartFixtureMixedAsync(MixedShape shape, CancellationToken ct, EnsembleOptions? options = null)
    {
        var ensemble = await StartUntrackedAsync(shape, options, ct);
        _fixtureEnsembles.Add(ensemble);
        await ForceLeaderAsync(ensemble, shape, ct);
        return ensemble;
    }

    private static async Task<ZooKeeperEnsemble> StartUntrackedAsync(MixedShape shape, EnsembleOptions? options, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var ensemble = await ZooKeeperEnsemble.StartAsync(shape.Members, options, ct);
        var leader = await ensemble.LeaderAsync(ct);
        await Progress($"mixed ensemble {shape} formed in {stopwatch.Elapsed.TotalSeconds:F1}s, first leader {leader}");
        return ensemble;
    }

    /// <summary>
    /// Makes the shape's leader (the participant with the highest id) lead: while another server leads,
    /// it is stopped (the rest, with equal logs, elect the highest id among them) and started again,
    /// when it rejoins as a follower. Asserts the leader's id and kind.
    /// </summary>
    /// <remarks>
    /// Logs are equal only after a write: a follower synced while the leader was still establishing
    /// its epoch holds the previous epoch's last zxid, one that joined later holds the new epoch's
    /// (<c>epoch &lt;&lt; 32</c>), and the later one wins whatever its id (Java's own leaders do the
    /// same). So before the leader goes, one write and a sync through every participant.
    /// </remarks>
    protected static async Task ForceLeaderAsync(ZooKeeperEnsemble ensemble, MixedShape shape, CancellationToken ct)
    {
        for (int move = 0; ; move++)
        {
            var leader = await ensemble.LeaderAsync(ct);
            if (leader.ServerId == shape.LeaderSid) break;
            if (move == MaxLeaderMoves)
                Assert.Fail($"{shape}: server.{shape.LeaderSid} should lead but {leader} still does after {move} restarts\n{ensemble.DescribeLogs()}");
            await Progress($"{shape}: {leader} leads; restarting it so that server.{shape.LeaderSid} takes over");
            await EqualizeLogsAsync(ensemble, leader, ct);
            await ensemble.StopAsync(leader.ServerId, ct);
            await ensemble.WaitForQuorumAsync(cancellationToken: ct);
            await ensemble.RestartAsync(leader.ServerId, cancellationToken: ct);
        }
        var quorum = await ensemble.WaitForQuorumAsync(cancellationToken: ct);
        Assert.That(quorum.Leader.Kind, Is.EqualTo(shape.LeaderKind), $"{shape}: the leader's kind");
        for (int i = 0; i < shape.Members.Count; i++)
            Assert.That(ensemble.Nodes[i].Kind, Is.EqualTo(shape.Members[i].Kind), $"{shape}: kind of server.{i + 1}");
    }

    /// <summary>A write (create and delete) through the leader, then a sync through every running participant: all have applied it.</summary>
    private static async Task EqualizeLogsAsync(ZooKeeperEnsemble ensemble, EnsembleNode leader, CancellationToken ct)
    {
        string path = "/zkcompat-rig-equal-logs-" + Guid.NewGuid().ToString("N")[..8];
        await using (var client = await ZooKeeperClient.ConnectAsync(leader.ClientAddress, ct: ct))
        {
            await client.CreateAsync(path, null, Open, ct: ct);
            await client.DeleteAsync(path, ct: ct);
        }
        foreach (var node in ensemble.Nodes.Where(n => n.IsUp && !n.IsObserver && n != leader))
        {
            await using var client = await ZooKeeperClient.ConnectAsync(node.ClientAddress, ct: ct);
            await client.SyncAsync("/", ct);
        }
    }

    /// <summary>The tree under <paramref name="root"/> as every running server shows it after a sync, compared with the leader's.</summary>
    private protected async Task<IReadOnlyList<string>> TreeDifferencesAsync(ZooKeeperEnsemble ensemble, string root)
    {
        var leader = await ensemble.LeaderAsync(TestCancellation);
        var expected = await ReadTreeAfterSyncAsync(leader, root);
        var differences = new List<string>();
        foreach (var node in ensemble.Nodes.Where(n => n.IsUp && n != leader))
        {
            var actual = await ReadTreeAfterSyncAsync(node, root);
            differences.AddRange(actual.DifferencesFrom(expected).Select(d => $"{node} vs leader {leader}: {d}"));
        }
        return differences;
    }

    private protected static string DescribeDifferences(IReadOnlyList<string> differences) => TreeView.Describe(differences);
}
