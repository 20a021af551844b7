using System.Diagnostics;
using System.Text;
using ZkCompat.Client;
using ZkCompat.InteropTests.Ensemble;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.InteropTests.ZkCli;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// Java and ZkCompat servers in one ensemble (issue 6), one fixture per shape, each sharing one
/// ensemble whose leader's kind is forced: J Java, Z ZkCompat, o observer, the leader always the
/// participant with the highest id. In each: the roles as the four-letter words report them; stock
/// zkCli through every server; the Curator recipes with their sessions spread over every server;
/// writes (plain, sequential, multi, failed multi) through every server read back identically from
/// every server; ephemerals of closed and of expired sessions gone everywhere, those of a live
/// session kept; watches set on each server fire on writes through every other.
/// </summary>
[TestFixture("Z J J")] // 3 with 1 ZkCompat follower, Java leader
[TestFixture("J J Z")] // 3 with 1 ZkCompat, the leader
[TestFixture("Z Z J")] // 3 with 2 ZkCompat followers, Java leader
[TestFixture("Z J Z")] // 3 with 2 ZkCompat: leader and follower beside a Java follower
[TestFixture("J Z J J Z")] // 5 with 2 ZkCompat: a ZkCompat leader with Java and ZkCompat followers
[TestFixture("Z J Z J J")] // 5 with 2 ZkCompat followers, Java leader
[TestFixture("J J J Zo")] // a ZkCompat observer beside Java participants
[TestFixture("Z Z Z Jo")] // a Java observer beside ZkCompat participants
[Category("Mixed")]
[CancelAfter(TestTimeoutMs)]
public sealed class MixedEnsembleTests(string layout) : MixedEnsembleTestBase
{
    private static readonly TimeSpan CuratorTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How long one request of a lone client may take: Java's servers answer in milliseconds.</summary>
    private static readonly TimeSpan PromptReply = TimeSpan.FromSeconds(2);

    /// <summary>Short enough that an abandoned session expires within the test, long enough to need pings.</summary>
    private static readonly TimeSpan ShortSessionTimeout = TimeSpan.FromSeconds(2);

    private readonly MixedShape _shape = MixedShape.Parse(layout);
    private ZooKeeperEnsemble _ensemble = null!;

    [OneTimeSetUp]
    public async Task StartEnsembleAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        _ensemble = await StartFixtureMixedAsync(_shape, cts.Token);
    }

    /// <summary>srvr, stat and mntr on every server name its role; the leader is the forced one and counts every learner.</summary>
    [Test]
    public async Task Every_server_reports_its_role_and_the_forced_kind_leads()
    {
        var answers = await RoleAnswers.ReadAsync(_ensemble, TestCancellation);
        var leader = answers.Single(a => a.Mode == "leader").Node;
        Assert.Multiple(() =>
        {
            Assert.That(leader.ServerId, Is.EqualTo(_shape.LeaderSid), $"{_shape}: who leads");
            Assert.That(leader.Kind, Is.EqualTo(_shape.LeaderKind), $"{_shape}: the leader's kind");
            RoleAnswers.AssertRoles(answers, followers: _shape.Participants - 1, observers: _shape.Observers);
        });
    }

    /// <summary>Stock zkCli, given one server at a time, runs a create/get/set/ls/delete session with the transcript Java's ensemble gives.</summary>
    [Test]
    public async Task ZkCli_runs_a_session_through_every_server()
    {
        var failures = new List<string>();
        foreach (var node in _ensemble.Nodes)
        {
            string path = $"/mixed-cli-{node.ServerId}-{Guid.NewGuid().ToString("N")[..6]}";
            var transcript = await ZkCliRunner.RunAsync(node.ClientAddress, CliScript(path), TestCancellation);
            string normalized = ZkCliOutputNormalizer.Normalize(transcript.Render());
            var problems = transcript.Steps.Where(s => s.Problem is not null).Select(s => $"'{s.Command}': {s.Problem}").ToList();
            if (problems.Count > 0)
            {
                failures.Add($"zkCli through {node} did not run cleanly: {string.Join("; ", problems)}\n{normalized}\n--- raw ---\n{transcript.RawOutput}");
                continue;
            }
            string fromFirstCommand = normalized[normalized.IndexOf($"> create {path} hello", StringComparison.Ordinal)..].TrimEnd('\n');
            int end = fromFirstCommand.IndexOf("\n> (end of input)", StringComparison.Ordinal);
            if (end >= 0) fromFirstCommand = fromFirstCommand[..end];
            string expected = ExpectedCliTranscript(path);
            if (fromFirstCommand != expected)
                failures.Add($"zkCli through {node}:\n{TextDiff.Unified(expected, fromFirstCommand)}\n--- raw ---\n{transcript.RawOutput}");
        }
        Assert.That(failures, Is.Empty, $"{_shape}:\n{string.Join("\n\n", failures)}");
    }

    /// <summary>
    /// The Curator recipes (mutex, leader latch, double barrier, CuratorCache, SharedCount, queue), each
    /// client on the next server in turn, so every recipe's sessions sit on servers of both kinds.
    /// </summary>
    [Test]
    public async Task Curator_recipes_hold_with_their_sessions_on_every_server()
    {
        using var program = CuratorRecipesProgram.Compile();
        string perClient = string.Join(';', _ensemble.Nodes.Select(n => n.ClientAddress));
        var result = await program.RunAsync(perClient, CuratorTimeout, TestCancellation);
        Assert.That(result.ExitCode == 0 && result.OkChecks.SequenceEqual(CuratorRecipesProgram.ExpectedChecks), Is.True,
            $"Curator recipes on {_shape} (clients on {perClient} in turn): exit code {result.ExitCode?.ToString() ?? "none (timed out)"}, " +
            $"OK: [{string.Join(", ", result.OkChecks)}], expected OK: [{string.Join(", ", CuratorRecipesProgram.ExpectedChecks)}]\n" +
            $"--- CuratorRecipes output ---\n{result.Output}");
    }

    /// <summary>
    /// Through every server: a create, two sequential creates, a multi (create, setData, check), a
    /// multi that fails (an error txn every server must log and apply as nothing), a setData of the
    /// node another server created and a delete. Every server, after sync, then shows the same tree
    /// (data, Stat, ACL, children) as the leader.
    /// </summary>
    [Test]
    public async Task Writes_through_every_server_read_back_the_same_from_every_server()
    {
        var nodes = _ensemble.Nodes;
        var clients = new List<ZooKeeperClient>();
        foreach (var node in nodes) clients.Add(await ConnectAsync(node.ClientAddress));
        string root = "/mixed-data-" + Guid.NewGuid().ToString("N")[..8];
        await clients[0].CreateAsync(root, Bytes("root"), Open, ct: TestCancellation);

        for (int i = 0; i < nodes.Count; i++)
        {
            var (client, sid) = (clients[i], nodes[i].ServerId);
            string via = $"via server.{sid} ({nodes[i].Kind})";
            await client.CreateAsync($"{root}/n{sid}", Bytes("created " + via), Open, ct: TestCancellation);
            for (int s = 0; s < 2; s++)
                await client.CreateAsync($"{root}/seq-", Bytes($"sequential {s} {via}"), Open, CreateMode.PersistentSequential, ct: TestCancellation);
            var results = await client.MultiAsync(
            [
                new Op.Create($"{root}/m{sid}", Bytes("multi " + via), Open),
                new Op.SetData($"{root}/m{sid}", Bytes("multi, then set " + via)),
                new Op.Check($"{root}/m{sid}", 1),
                new Op.Create($"{root}/m{sid}/child", null, Open),
            ], TestCancellation);
            Assert.That(results.OfType<OpResult.ErrorResult>(), Is.Empty, $"multi {via}: {string.Join(", ", results)}");
            var failed = await client.MultiAsync(
            [
                new Op.Create($"{root}/never-{sid}", null, Open),
                new Op.Check($"{root}/n{sid}", 7),
            ], TestCancellation);
            Assert.That(failed, Is.EqualTo(new OpResult[]
            {
                new OpResult.ErrorResult(ErrorCode.Ok), new OpResult.ErrorResult(ErrorCode.BadVersion),
            }), $"failed multi {via}");
        }
        for (int i = 0; i < nodes.Count; i++)
        {
            var target = nodes[(i + 1) % nodes.Count];
            await clients[i].SetDataAsync($"{root}/n{target.ServerId}", Bytes($"set via server.{nodes[i].ServerId} ({nodes[i].Kind})"), 0, TestCancellation);
            await clients[i].DeleteAsync($"{root}/m{target.ServerId}/child", ct: TestCancellation);
        }

        var differences = await TreeDifferencesAsync(_ensemble, root);
        Assert.That(differences, Is.Empty, $"{_shape}: {DescribeDifferences(differences)}");

        var leaderView = await ReadTreeAfterSyncAsync(await _ensemble.LeaderAsync(TestCancellation), root);
        Assert.Multiple(() =>
        {
            for (int i = 0; i < nodes.Count; i++)
            {
                var writer = nodes[(i + nodes.Count - 1) % nodes.Count];
                long sid = nodes[i].ServerId;
                Assert.That(Text(leaderView.Data[$"{root}/n{sid}"]), Is.EqualTo($"set via server.{writer.ServerId} ({writer.Kind})"));
                Assert.That(leaderView.Stats[$"{root}/m{sid}"].Version, Is.EqualTo(1));
                Assert.That(leaderView.Stats[$"{root}/m{sid}"].NumChildren, Is.Zero);
                Assert.That(leaderView.Lines.ContainsKey($"{root}/never-{sid}"), Is.False, "a failed multi creates nothing");
            }
            Assert.That(leaderView.Lines.Keys.Count(p => p.StartsWith(root + "/seq-", StringComparison.Ordinal)), Is.EqualTo(2 * nodes.Count));
        });
    }

    /// <summary>
    /// A lone client's requests through each server, one at a time with nothing else going on, are
    /// each answered promptly: 10 sessions opened and closed, 100 setData. Every txn needs the
    /// leader's commit; the leader must commit (and answer) a txn once a quorum has acked it, whether
    /// its own log write finished before or after the followers' ACKs, not only when some later txn
    /// comes along. Java answers each in milliseconds.
    /// </summary>
    [Test]
    public async Task A_lone_clients_requests_through_every_server_are_each_answered_promptly()
    {
        const int Sessions = 10;
        const int Writes = 100;
        var failures = new List<string>();
        var slowest = new List<string>();
        string root = "/mixed-lone-" + Guid.NewGuid().ToString("N")[..8];
        var setup = await ConnectAsync(_ensemble.ConnectString);
        await setup.CreateAsync(root, null, Open, ct: TestCancellation);
        await setup.CloseAsync(TestCancellation);
        foreach (var node in _ensemble.Nodes)
        {
            string path = $"{root}/n{node.ServerId}";
            var max = TimeSpan.Zero;
            string? failure = null;
            for (int i = 0; i < Sessions && failure is null; i++)
            {
                var stopwatch = Stopwatch.StartNew();
                ZooKeeperClient? client = null;
                failure = await WithinAsync(async () =>
                {
                    client = TrackClient(await ZooKeeperClient.ConnectAsync(node.ClientAddress, ct: TestCancellation));
                    if (i == 0) await client.CreateAsync(path, null, Open, ct: TestCancellation);
                    await client.CloseAsync(TestCancellation);
                }, $"session {i} (connect, {(i == 0 ? "create, " : "")}close)");
                if (failure is not null) client?.Abort();
                max = Max(max, stopwatch.Elapsed);
            }
            if (failure is null)
            {
                var client = await ConnectAsync(node.ClientAddress);
                for (int i = 0; i < Writes && failure is null; i++)
                {
                    var stopwatch = Stopwatch.StartNew();
                    failure = await WithinAsync(() => client.SetDataAsync(path, Bytes($"write {i}"), i, TestCancellation), $"setData {i} of {Writes}");
                    max = Max(max, stopwatch.Elapsed);
                }
                if (failure is not null) client.Abort();
                else await client.CloseAsync(TestCancellation);
            }
            if (failure is not null) failures.Add($"{node}: {failure}");
            slowest.Add($"{node}: slowest {max.TotalMilliseconds:F0} ms");
        }
        await TestContext.Out.WriteLineAsync($"{_shape}: " + string.Join("; ", slowest));
        Assert.That(failures, Is.Empty, $"{_shape}: requests of a lone client stalled (the leader is {_shape.LeaderKind}):\n{string.Join('\n', failures)}");

        static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }

    /// <summary>Null when <paramref name="action"/> finishes within <see cref="PromptReply"/>, else what did not.</summary>
    private static async Task<string?> WithinAsync(Func<Task> action, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await action().WaitAsync(PromptReply, TestCancellation);
            return null;
        }
        catch (TimeoutException)
        {
            return $"{what} not answered within {PromptReply.TotalSeconds:F0}s";
        }
        catch (KeeperException e)
        {
            return $"{what} failed after {stopwatch.Elapsed.TotalMilliseconds:F0} ms: {e.Message}";
        }
    }

    /// <summary>
    /// A session on every server creates ephemerals (plain and sequential), which every server shows
    /// with that owner. Then: the closed sessions' ephemerals vanish on every server; the ephemerals
    /// of sessions abandoned without a close vanish once they expire (the leader expires them, the
    /// follower or observer of the session touched it until then); those of live sessions with the same
    /// short timeout stay, kept alive by their pings through their server to the leader.
    /// </summary>
    [Test]
    public async Task Ephemerals_vanish_on_every_server_when_their_session_closes_or_expires_and_only_then()
    {
        var nodes = _ensemble.Nodes;
        string root = "/mixed-eph-" + Guid.NewGuid().ToString("N")[..8];
        var readers = new List<ZooKeeperClient>();
        foreach (var node in nodes) readers.Add(await ConnectAsync(node.ClientAddress));
        await readers[0].CreateAsync(root, null, Open, ct: TestCancellation);

        var shortSession = new ZooKeeperClientOptions { SessionTimeout = ShortSessionTimeout };
        var owners = new Dictionary<string, long>();
        var closing = new List<ZooKeeperClient>();
        var abandoned = new List<ZooKeeperClient>();
        var living = new List<ZooKeeperClient>();
        foreach (var node in nodes)
        {
            foreach (var (kind, list, options) in new[] { ("closed", closing, null), ("expired", abandoned, shortSession), ("alive", living, shortSession) })
            {
                var client = await ConnectAsync(node.ClientAddress, options);
                list.Add(client);
                string plain = await client.CreateAsync($"{root}/{kind}-{node.ServerId}", Bytes(kind), Open, CreateMode.Ephemeral, ct: TestCancellation);
                string sequential = await client.CreateAsync($"{root}/{kind}-{node.ServerId}-seq-", null, Open, CreateMode.EphemeralSequential, ct: TestCancellation);
                owners[plain] = client.SessionId;
                owners[sequential] = client.SessionId;
            }
        }

        // Every server shows every ephemeral with its owner; each reader also watches every one of them.
        for (int j = 0; j < nodes.Count; j++)
        {
            await readers[j].SyncAsync(root, TestCancellation);
            foreach (var (path, owner) in owners)
            {
                var stat = await readers[j].ExistsAsync(path, watch: true, TestCancellation);
                Assert.That(stat?.EphemeralOwner, Is.EqualTo(owner), $"{path} on {nodes[j]} before any session ends");
            }
        }

        bool Ended(string path) => !path.Contains("/alive-", StringComparison.Ordinal);
        foreach (var client in closing) await client.CloseAsync(TestCancellation);
        foreach (var client in abandoned) client.Abort();

        // The deletes arrive on every server as the watches' NodeDeleted events.
        var gone = owners.Keys.Where(Ended).ToHashSet();
        for (int j = 0; j < nodes.Count; j++)
        {
            var expectedDeletes = new HashSet<string>(gone);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCancellation);
            timeout.CancelAfter(ShortSessionTimeout * 4 + EventTimeout);
            try
            {
                while (expectedDeletes.Count > 0)
                {
                    var e = await readers[j].Events.ReadAsync(timeout.Token);
                    Assert.That((EventType)e.Type, Is.EqualTo(EventType.NodeDeleted), $"event on {nodes[j]}: {e.Type} {e.Path}");
                    Assert.That(expectedDeletes.Remove(e.Path!), Is.True, $"{e.Path} deleted on {nodes[j]}, but its session lives");
                }
            }
            catch (OperationCanceledException) when (!TestCancellation.IsCancellationRequested)
            {
                Assert.Fail($"{_shape}: on {nodes[j]} these ephemerals were not deleted in time: {string.Join(", ", expectedDeletes.Order())}");
            }
        }
        for (int j = 0; j < nodes.Count; j++)
        {
            await readers[j].SyncAsync(root, TestCancellation);
            var children = await readers[j].GetChildrenAsync(root, ct: TestCancellation);
            var expected = owners.Keys.Where(p => !Ended(p)).Select(p => p[(root.Length + 1)..]).Order(StringComparer.Ordinal);
            Assert.That(children.Order(StringComparer.Ordinal), Is.EqualTo(expected), $"{_shape}: ephemerals left on {nodes[j]}");
        }
        foreach (var client in living)
            Assert.That(client.IsConnected, Is.True, $"session 0x{client.SessionId:x} with a {ShortSessionTimeout.TotalSeconds:F0}s timeout is still connected");
    }

    /// <summary>
    /// For every ordered pair of servers: watches set through the first (exists, getData, getChildren,
    /// a persistent recursive addWatch) fire, in order and once each, on writes through the second.
    /// </summary>
    [Test]
    public async Task Watches_set_on_each_server_fire_on_writes_through_every_other()
    {
        var nodes = _ensemble.Nodes;
        var clients = new List<ZooKeeperClient>();
        foreach (var node in nodes) clients.Add(await ConnectAsync(node.ClientAddress));
        string root = "/mixed-watch-" + Guid.NewGuid().ToString("N")[..8];
        await clients[0].CreateAsync(root, null, Open, ct: TestCancellation);
        await Task.WhenAll(clients.Select(c => c.SyncAsync(root, TestCancellation)));

        for (int i = 0; i < nodes.Count; i++)
        {
            for (int j = 0; j < nodes.Count; j++)
            {
                if (i == j) continue;
                var (watcher, writer) = (clients[i], clients[j]);
                string pair = $"watch on {nodes[i]}, write through {nodes[j]}";
                string path = $"{root}/w{nodes[i].ServerId}-{nodes[j].ServerId}";

                Assert.That(await watcher.ExistsAsync(path, watch: true, TestCancellation), Is.Null);
                await writer.CreateAsync(path, Bytes("0"), Open, ct: TestCancellation);
                await ExpectEventAsync(watcher, EventType.NodeCreated, path, pair);

                await watcher.GetDataAsync(path, watch: true, TestCancellation);
                await writer.SetDataAsync(path, Bytes("1"), ct: TestCancellation);
                await ExpectEventAsync(watcher, EventType.NodeDataChanged, path, pair);

                await watcher.GetChildrenAsync(path, watch: true, TestCancellation);
                await writer.CreateAsync(path + "/c", null, Open, ct: TestCancellation);
                await ExpectEventAsync(watcher, EventType.NodeChildrenChanged, path, pair);

                await watcher.GetDataAsync(path + "/c", watch: true, TestCancellation);
                await writer.DeleteAsync(path + "/c", ct: TestCancellation);
                await ExpectEventAsync(watcher, EventType.NodeDeleted, path + "/c", pair);

                await watcher.AddWatchAsync(path, AddWatchMode.PersistentRecursive, TestCancellation);
                await writer.CreateAsync(path + "/r", null, Open, ct: TestCancellation);
                await ExpectEventAsync(watcher, EventType.NodeCreated, path + "/r", pair);
                await writer.SetDataAsync(path + "/r", Bytes("r"), ct: TestCancellation);
                await ExpectEventAsync(watcher, EventType.NodeDataChanged, path + "/r", pair);

                // Nothing else fired: a sync round trip through the watcher's server flushes anything pending.
                await watcher.SyncAsync(path, TestCancellation);
                Assert.That(watcher.Events.TryRead(out var extra), Is.False, $"{pair}: unexpected event {extra?.Type} {extra?.Path}");
            }
        }
    }

    private async Task ExpectEventAsync(ZooKeeperClient watcher, EventType type, string path, string pair)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestCancellation);
        timeout.CancelAfter(EventTimeout);
        try
        {
            var e = await watcher.Events.ReadAsync(timeout.Token);
            Assert.That(((EventType)e.Type, e.Path), Is.EqualTo((type, path)), $"{_shape}, {pair}: the next event (state {e.State})");
        }
        catch (OperationCanceledException) when (!TestCancellation.IsCancellationRequested)
        {
            Assert.Fail($"{_shape}, {pair}: no {type} event for {path} within {EventTimeout.TotalSeconds:F0}s");
        }
    }

    private static ZkCliScript CliScript(string path) => ZkCliScript.Parse("mixed-crud", $"""
        create {path} hello
        create {path}/a one
        create {path}/b two
        get {path}
        ls {path}
        set {path} world
        get -s {path}
        delete {path}/a
        ls {path}
        deleteall {path}
        stat {path}
        """);

    /// <summary>The normalised transcript from the first command on, as Java 3.8's zkCli prints it against a Java ensemble.</summary>
    private static string ExpectedCliTranscript(string path) => new StringBuilder().Append($"""
        > create {path} hello
        Created {path}
        > create {path}/a one
        Created {path}/a
        > create {path}/b two
        Created {path}/b
        > get {path}
        hello
        > ls {path}
        [a, b]
        > set {path} world
        > get -s {path}
        world
        cZxid = <zxid1>
        ctime = <time>
        mZxid = <zxid2>
        mtime = <time>
        pZxid = <zxid3>
        cversion = 2
        dataVersion = 1
        aclVersion = 0
        ephemeralOwner = 0x0
        dataLength = 5
        numChildren = 2
        > delete {path}/a
        > ls {path}
        [b]
        > deleteall {path}
        > stat {path}
        Node does not exist: {path}
        """).ToString().Replace("\r\n", "\n");
}
