using System.Diagnostics;
using System.Text;
using NUnit.Framework.Interfaces;
using ZkCompat.Client;
using ZkCompat.InteropTests.Persistence;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// Plumbing of the ensemble tests. Each concrete fixture runs once per <see cref="ServerKind"/>: the
/// Java variant (categories <c>Interop</c>, <c>EnsembleJava</c>) proves the scenario and the rig against
/// stock ZooKeeper; the ZkCompat variant (category <c>Ensemble</c>) runs the same scenario against
/// ZkCompat servers. Ensembles and clients a test starts are torn down after it, and when it fails the
/// tail of every server's log goes to the test output.
/// </summary>
public abstract class EnsembleTestBase(ServerKind kind)
{
    /// <summary>The test's time limit; every wait inside is shorter and says what it waited for.</summary>
    protected const int TestTimeoutMs = 180_000;

    /// <summary>How long a server that is up may refuse a session (a restarted follower still syncing).</summary>
    protected static readonly TimeSpan ServingTimeout = TimeSpan.FromSeconds(30);

    protected static readonly IReadOnlyList<ACL> Open = Acls.OpenAclUnsafe;

    private readonly List<ZooKeeperEnsemble> _ensembles = [];
    private readonly List<ZooKeeperEnsemble> _fixtureEnsembles = [];
    private readonly List<ZooKeeperClient> _clients = [];

    /// <summary>Which implementation runs the servers of this variant.</summary>
    protected ServerKind Kind { get; } = kind;

    /// <summary>The test's time limit, set by <see cref="CancelAfterAttribute"/>.</summary>
    protected static CancellationToken TestCancellation => TestContext.CurrentContext.CancellationToken;

    [TearDown]
    public async Task TearDownEnsemblesAsync()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status != TestStatus.Passed)
            await PrintLogsAsync(_fixtureEnsembles.Concat(_ensembles));
        AbortClients();
        foreach (var ensemble in _ensembles) await ensemble.DisposeAsync();
        _ensembles.Clear();
    }

    [OneTimeTearDown]
    public async Task TearDownFixtureEnsemblesAsync()
    {
        foreach (var ensemble in _fixtureEnsembles) await ensemble.DisposeAsync();
        _fixtureEnsembles.Clear();
    }

    /// <summary>
    /// Starts an ensemble the fixture's tests share (scenarios that leave every server up); disposed
    /// after the fixture, its logs shown with any test that fails.
    /// </summary>
    protected async Task<ZooKeeperEnsemble> StartFixtureEnsembleAsync(int participants, int observers = 0, EnsembleOptions? options = null,
        CancellationToken ct = default)
    {
        var ensemble = await StartTimedAsync(Kind, participants, observers, options, ct);
        _fixtureEnsembles.Add(ensemble);
        return ensemble;
    }

    /// <summary>Starts an ensemble for this test; it is disposed (and its logs shown on failure) after the test.</summary>
    protected async Task<ZooKeeperEnsemble> StartEnsembleAsync(int participants, int observers = 0, EnsembleOptions? options = null) =>
        Track(await StartTimedAsync(Kind, participants, observers, options, TestCancellation));

    protected ZooKeeperEnsemble Track(ZooKeeperEnsemble ensemble)
    {
        _ensembles.Add(ensemble);
        return ensemble;
    }

    protected static async Task<ZooKeeperEnsemble> StartTimedAsync(ServerKind kind, int participants, int observers, EnsembleOptions? options,
        CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var ensemble = await ZooKeeperEnsemble.StartAsync(kind, participants, observers, options, ct);
        var leader = await ensemble.LeaderAsync(ct);
        await Progress($"{kind} ensemble of {participants}+{observers} formed in {stopwatch.Elapsed.TotalSeconds:F1}s, leader {leader}");
        return ensemble;
    }

    protected static async Task PrintLogsAsync(IEnumerable<ZooKeeperEnsemble> ensembles)
    {
        foreach (var ensemble in ensembles) await TestContext.Out.WriteLineAsync(ensemble.DescribeLogs());
    }

    /// <summary>
    /// A client of <paramref name="connectString"/>, closed after the test. A server that is up may still
    /// refuse sessions for a moment (a follower that has just synced): retried until <see cref="ServingTimeout"/>.
    /// </summary>
    protected async Task<ZooKeeperClient> ConnectAsync(string connectString, ZooKeeperClientOptions? options = null)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return TrackClient(await ZooKeeperClient.ConnectAsync(connectString, options, TestCancellation));
            }
            catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss && stopwatch.Elapsed < ServingTimeout)
            {
                // Nothing to wait on but time: the server tells no one when it starts taking sessions.
                await Task.Delay(TimeSpan.FromMilliseconds(100), TestCancellation);
            }
        }
    }

    protected ZooKeeperClient TrackClient(ZooKeeperClient client)
    {
        lock (_clients) _clients.Add(client);
        return client;
    }

    private void AbortClients()
    {
        ZooKeeperClient[] clients;
        lock (_clients)
        {
            clients = [.. _clients];
            _clients.Clear();
        }
        // The ensembles go anyway: dropping connections is enough.
        foreach (var client in clients) client.Abort();
    }

    /// <summary>The whole tree as a client of <paramref name="node"/> sees it after a <c>sync</c>; the client is closed afterwards.</summary>
    private protected async Task<TreeView> ReadTreeAfterSyncAsync(EnsembleNode node, string root = "/")
    {
        var client = await ConnectAsync(node.ClientAddress);
        await client.SyncAsync(root, TestCancellation);
        var view = await TreeView.ReadAsync(client, root, TestCancellation);
        await client.CloseAsync(TestCancellation);
        return view;
    }

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    protected static string Text(byte[]? data) => data is null ? "<null>" : Encoding.UTF8.GetString(data);

    protected static Task Progress(string message) => TestContext.Progress.WriteLineAsync(message);
}
