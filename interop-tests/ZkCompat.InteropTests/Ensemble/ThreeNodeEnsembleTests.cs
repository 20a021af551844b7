using ZkCompat.Client;
using ZkCompat.InteropTests.FourLetterWords;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.InteropTests.ZkCli;

namespace ZkCompat.InteropTests.Ensemble;

/// <summary>
/// Scenarios that leave every server up, sharing one three-server ensemble per variant: the stock
/// zkCli and Curator recipes given the whole connect string, writes through each server read on every
/// other, and what the four-letter words say about the roles.
/// </summary>
[TestFixture(ServerKind.Java, Category = "Interop,EnsembleJava")]
[TestFixture(ServerKind.ZkCompat, Category = "Ensemble")]
[CancelAfter(TestTimeoutMs)]
public sealed class ThreeNodeEnsembleTests(ServerKind kind) : EnsembleTestBase(kind)
{
    private static readonly TimeSpan CuratorTimeout = TimeSpan.FromMinutes(2);

    private ZooKeeperEnsemble _ensemble = null!;

    [OneTimeSetUp]
    public async Task StartEnsembleAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        _ensemble = await StartFixtureEnsembleAsync(3, ct: cts.Token);
    }

    private static readonly ZkCliScript CliScript = ZkCliScript.Parse("ensemble-crud", """
        create /ens-cli hello
        create /ens-cli/a one
        create /ens-cli/b two
        get /ens-cli
        ls /ens-cli
        set /ens-cli world
        get -s /ens-cli
        delete /ens-cli/a
        ls /ens-cli
        deleteall /ens-cli
        stat /ens-cli
        """);

    /// <summary>The normalised transcript from the first command on, as Java 3.8's zkCli prints it against Java's ensemble.</summary>
    private const string ExpectedCliTranscript = """
        > create /ens-cli hello
        Created /ens-cli
        > create /ens-cli/a one
        Created /ens-cli/a
        > create /ens-cli/b two
        Created /ens-cli/b
        > get /ens-cli
        hello
        > ls /ens-cli
        [a, b]
        > set /ens-cli world
        > get -s /ens-cli
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
        > delete /ens-cli/a
        > ls /ens-cli
        [b]
        > deleteall /ens-cli
        > stat /ens-cli
        Node does not exist: /ens-cli
        """;

    /// <summary>(a) Stock zkCli given every server (<c>-server h:p1,h:p2,h:p3</c>) runs a create/get/set/ls/delete session.</summary>
    [Test]
    public async Task ZkCli_with_every_server_in_its_connect_string_runs_a_session()
    {
        var transcript = await ZkCliRunner.RunAsync(_ensemble.ConnectString, CliScript, TestCancellation);
        string normalized = ZkCliOutputNormalizer.Normalize(transcript.Render());
        var problems = transcript.Steps.Where(s => s.Problem is not null).Select(s => $"'{s.Command}': {s.Problem}").ToList();
        Assert.That(problems, Is.Empty, $"zkCli did not run cleanly:\n{normalized}\n--- raw ---\n{transcript.RawOutput}");

        string fromFirstCommand = normalized[normalized.IndexOf("> create /ens-cli hello", StringComparison.Ordinal)..].TrimEnd('\n');
        // End of input closes the session; what zkCli prints on its way out is not the server's doing.
        int end = fromFirstCommand.IndexOf("\n> (end of input)", StringComparison.Ordinal);
        if (end >= 0) fromFirstCommand = fromFirstCommand[..end];
        string expected = ExpectedCliTranscript.Replace("\r\n", "\n");
        Assert.That(fromFirstCommand, Is.EqualTo(expected),
            $"{TextDiff.Unified(expected, fromFirstCommand)}\n--- raw zkCli output ---\n{transcript.RawOutput}");
    }

    /// <summary>(b) A write through any server is read, after <c>sync</c>, by a client of every other server, with the same Stat.</summary>
    [Test]
    public async Task Writes_through_each_server_are_read_on_every_other_after_sync()
    {
        var nodes = _ensemble.Nodes;
        var clients = new List<ZooKeeperClient>();
        foreach (var node in nodes) clients.Add(await ConnectAsync(node.ClientAddress));
        string root = "/ens-b-" + Guid.NewGuid().ToString("N")[..8];
        await clients[0].CreateAsync(root, null, Open, ct: TestCancellation);

        for (int i = 0; i < nodes.Count; i++)
            await clients[i].CreateAsync($"{root}/from-{nodes[i].ServerId}", Bytes($"created via server.{nodes[i].ServerId}"), Open, ct: TestCancellation);
        // Each node's data is then changed through the next server.
        for (int i = 0; i < nodes.Count; i++)
        {
            var target = nodes[(i + 1) % nodes.Count];
            await clients[i].SetDataAsync($"{root}/from-{target.ServerId}", Bytes($"set via server.{nodes[i].ServerId}"), 0, TestCancellation);
        }

        var expectedChildren = nodes.Select(n => $"from-{n.ServerId}").Order(StringComparer.Ordinal).ToList();
        var statsByPath = new Dictionary<string, List<string>>();
        for (int j = 0; j < nodes.Count; j++)
        {
            await clients[j].SyncAsync(root, TestCancellation);
            var children = await clients[j].GetChildrenAsync(root, ct: TestCancellation);
            Assert.That(children.Order(StringComparer.Ordinal), Is.EqualTo(expectedChildren), $"children of {root} read on {nodes[j]}");
            for (int i = 0; i < nodes.Count; i++)
            {
                string path = $"{root}/from-{nodes[(i + 1) % nodes.Count].ServerId}";
                var (data, stat) = await clients[j].GetDataAsync(path, ct: TestCancellation);
                Assert.That(Text(data), Is.EqualTo($"set via server.{nodes[i].ServerId}"), $"{path} read on {nodes[j]}");
                Assert.That(stat.Version, Is.EqualTo(1), $"{path} version read on {nodes[j]}");
                if (!statsByPath.TryGetValue(path, out var seen)) statsByPath[path] = seen = [];
                seen.Add(stat.ToString()!);
            }
        }
        foreach (var (path, stats) in statsByPath)
            Assert.That(stats.Distinct().ToList(), Has.Count.EqualTo(1), $"every server reports the same Stat for {path}: {string.Join(" | ", stats)}");
    }

    /// <summary>(f) The standalone tests' Curator recipes, given the ensemble's connect string.</summary>
    [Test]
    public async Task Curator_recipes_hold_on_the_ensemble()
    {
        using var program = CuratorRecipesProgram.Compile();
        var result = await program.RunAsync(_ensemble.ConnectString, CuratorTimeout, TestCancellation);
        Assert.That(result.ExitCode == 0 && result.OkChecks.SequenceEqual(CuratorRecipesProgram.ExpectedChecks), Is.True,
            $"Curator recipes against the {Kind} ensemble: exit code {result.ExitCode?.ToString() ?? "none (timed out)"}, " +
            $"OK: [{string.Join(", ", result.OkChecks)}], expected OK: [{string.Join(", ", CuratorRecipesProgram.ExpectedChecks)}]\n" +
            $"--- CuratorRecipes output ---\n{result.Output}");
    }

    /// <summary>
    /// (g) srvr, stat and mntr on every server say its role; the leader's mntr counts its followers. The
    /// ZkCompat variant also compares, role by role, its mntr keys and its srvr/stat lines with a Java ensemble's.
    /// </summary>
    [Test]
    public async Task Four_letter_words_report_each_servers_role()
    {
        var answers = await RoleAnswers.ReadAsync(_ensemble, TestCancellation);
        var reference = Kind == ServerKind.Java ? null : await RoleAnswers.ReadJavaReferenceAsync(participants: 3, observers: 0, TestCancellation);
        Assert.Multiple(() =>
        {
            RoleAnswers.AssertRoles(answers, followers: 2, observers: 0);
            if (reference is not null) RoleAnswers.AssertSameAsJava(answers, reference);
        });
    }
}
