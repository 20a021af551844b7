using System.Net;
using System.Net.Sockets;
using System.Text;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.FourLetterWords;

/// <summary>
/// Every four-letter word against a Java 3.8 server and a ZkCompat server in the same state (two
/// sessions, an ephemeral, data, exists and child watches): the answers must agree once values are
/// normalised — line for line for the line-oriented words, key for key for mntr, envi and conf.
/// </summary>
[Category("Interop")]
public class FourLetterWordInteropTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private static readonly IReadOnlyList<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    /// <summary>Answers both servers give byte for byte.</summary>
    [TestCase("ruok")]
    [TestCase("isro")]
    [TestCase("gtmk")]
    [TestCase("hash")]
    [TestCase("srst")]
    [TestCase("crst")]
    public async Task Same_answer(string word)
    {
        var (java, zkCompat) = await RunBothAsync(word);
        Assert.That(zkCompat.Text, Is.EqualTo(java.Text));
    }

    [Test]
    public async Task Stmk_echoes_the_mask_and_gtmk_reads_it_back()
    {
        byte[] mask = [0, 0, 0, 0, 0, 0, 0x01, 0x2C];
        var (java, zkCompat) = await BothServers.RunAsync(
            async server =>
            {
                string set = await SendAsync(server.Port, [.. Encoding.ASCII.GetBytes("stmk"), .. mask]);
                string get = await server.FourLetterWordAsync("gtmk");
                return set + "|" + get;
            },
            run => Assert.That(run.Result, Is.EqualTo("300|300"), run.LogTail()),
            Configure);
        Assert.That(zkCompat.Result, Is.EqualTo(java.Result));
    }

    [Test]
    public async Task Enabled_telnet_close_closes_without_an_answer()
    {
        var (java, zkCompat) = await BothServers.RunAsync(
            server => SendAsync(server.Port, [0xFF, 0xF4, 0xFF, 0xFD]),
            run => Assert.That(run.Result, Is.Empty, run.LogTail()),
            Configure);
        Assert.That(zkCompat.Result, Is.EqualTo(java.Result));
    }

    /// <summary>Line-oriented answers: the same lines in the same order once values are placeholders.</summary>
    [TestCase("srvr", false)]
    [TestCase("stat", false)]
    [TestCase("cons", false)]
    [TestCase("dirs", false)]
    [TestCase("wchs", false)]
    [TestCase("wchp", true)]
    [TestCase("wchc", true)]
    public async Task Same_lines(string word, bool hashOrdered)
    {
        var (java, zkCompat) = await RunBothAsync(word);
        string expected = FourLetterWordNormalizer.Lines(java.Text, java.DataDir, hashOrdered);
        string actual = FourLetterWordNormalizer.Lines(zkCompat.Text, zkCompat.DataDir, hashOrdered);
        await TestContext.Out.WriteLineAsync($"--- {word}, normalised ---\n{actual}");
        Assert.That(actual, Is.EqualTo(expected),
            $"{TextDiff.Unified(expected, actual)}\n--- java ---\n{java.Text}\n--- zkcompat ---\n{zkCompat.Text}");
    }

    [Test]
    public async Task Dump_has_the_same_sections_and_members()
    {
        var (java, zkCompat) = await RunBothAsync("dump");
        string expected = FourLetterWordNormalizer.Lines(java.Text, java.DataDir, mergeBuckets: true);
        string actual = FourLetterWordNormalizer.Lines(zkCompat.Text, zkCompat.DataDir, mergeBuckets: true);
        Assert.That(actual, Is.EqualTo(expected),
            $"{TextDiff.Unified(expected, actual)}\n--- java ---\n{java.Text}\n--- zkcompat ---\n{zkCompat.Text}");
        // The bucket lines themselves, in the form Java prints.
        var buckets = zkCompat.Text.Split('\n').Where(l => l.Contains(" expire at ", StringComparison.Ordinal)).ToList();
        Assert.That(buckets, Has.Count.GreaterThanOrEqualTo(2));
        Assert.That(buckets, Has.All.Match(@"^[1-9]\d* expire at \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}:$"));
    }

    [Test]
    public async Task Srvr_reports_the_same_state()
    {
        var (java, zkCompat) = await RunBothAsync("srvr");
        // Packet counts differ with the rig's readiness probes; the state does not.
        string[] stateLines = ["Connections:", "Outstanding:", "Zxid:", "Mode:", "Node count:"];
        Assert.That(Select(zkCompat.Text), Is.EqualTo(Select(java.Text)), $"java:\n{java.Text}\nzkcompat:\n{zkCompat.Text}");

        IEnumerable<string> Select(string answer) => answer.Split('\n').Where(l => stateLines.Any(p => l.StartsWith(p, StringComparison.Ordinal)));
    }

    [Test]
    public async Task Mntr_has_javas_keys_and_agrees_on_the_state()
    {
        var (java, zkCompat) = await RunBothAsync("mntr");
        // Java adds per-namespace read/write summaries for the paths the scenario touched; we do not track them.
        var javaKeys = FourLetterWordNormalizer.Keys(java.Text, '\t').Where(k => !k.EndsWith("_per_namespace", StringComparison.Ordinal)).ToList();
        var ourKeys = FourLetterWordNormalizer.Keys(zkCompat.Text, '\t');
        Assert.That(ourKeys, Is.EquivalentTo(javaKeys), string.Join(", ", ourKeys.Except(javaKeys).Concat(javaKeys.Except(ourKeys))));
        Assert.That(ourKeys.Take(2), Is.EqualTo(new[] { "zk_version", "zk_server_state" }));

        var javaValues = FourLetterWordNormalizer.Pairs(java.Text, '\t');
        var ourValues = FourLetterWordNormalizer.Pairs(zkCompat.Text, '\t');
        foreach (string key in new[]
        {
            "zk_server_state", "zk_znode_count", "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
            "zk_global_sessions", "zk_local_sessions", "zk_num_alive_connections", "zk_outstanding_requests",
            "zk_connection_drop_probability",
        })
        {
            Assert.That(ourValues[key], Is.EqualTo(javaValues[key]), key);
        }
    }

    [Test]
    public async Task Envi_has_javas_keys_in_order()
    {
        var (java, zkCompat) = await RunBothAsync("envi");
        Assert.That(zkCompat.Text.Split('\n')[0], Is.EqualTo("Environment:"));
        Assert.That(FourLetterWordNormalizer.Keys(zkCompat.Text, '='), Is.EqualTo(FourLetterWordNormalizer.Keys(java.Text, '=')));
    }

    [Test]
    public async Task Conf_has_javas_keys_and_values()
    {
        var (java, zkCompat) = await RunBothAsync("conf");
        Assert.That(FourLetterWordNormalizer.Keys(zkCompat.Text, '='), Is.EqualTo(FourLetterWordNormalizer.Keys(java.Text, '=')));
        var javaValues = FourLetterWordNormalizer.Pairs(java.Text, '=');
        var ourValues = FourLetterWordNormalizer.Pairs(zkCompat.Text, '=');
        Assert.That(ourValues["clientPort"], Is.EqualTo(zkCompat.Port.ToString()));
        Assert.That(ourValues["dataDir"], Is.EqualTo(Path.Combine(zkCompat.DataDir, "version-2")));
        Assert.That(ourValues["dataLogDir"], Is.EqualTo(Path.Combine(zkCompat.DataDir, "version-2")));
        // The sizes depend on each server's files (Java preallocates 64 MB of log); the rest is the same config.
        foreach (string key in new[] { "secureClientPort", "tickTime", "maxClientCnxns", "minSessionTimeout", "maxSessionTimeout",
                     "clientPortListenBacklog", "serverId" })
        {
            Assert.That(ourValues[key], Is.EqualTo(javaValues[key]), key);
        }
    }

    /// <summary>Refusals of words left out of the whitelist are the same sentence (the rig needs ruok, srvr is always on).</summary>
    [TestCase("mntr")]
    [TestCase("stmk")]
    [TestCase("conf")]
    [TestCase("telnet close")]
    public async Task Not_whitelisted(string word)
    {
        byte[] bytes = word == "telnet close" ? [0xFF, 0xF4, 0xFF, 0xFD] : Encoding.ASCII.GetBytes(word);
        var (java, zkCompat) = await BothServers.RunAsync(
            server => SendAsync(server.Port, bytes),
            run => Assert.That(run.Result, Is.EqualTo(word + " is not executed because it is not in the whitelist.\n"), run.LogTail()),
            cfg => cfg.FourLetterWordWhitelist = "ruok");
        Assert.That(zkCompat.Result, Is.EqualTo(java.Result));
    }

    private sealed record Answer(string Text, string DataDir, int Port);

    private static void Configure(ZooCfg cfg) => cfg.FourLetterWordWhitelist = "*";

    private static async Task<(Answer Java, Answer ZkCompat)> RunBothAsync(string word)
    {
        var (java, zkCompat) = await BothServers.RunAsync(
            server => ScenarioAsync(server, word),
            run => Assert.That(run.Result.Text, Does.Not.Contain("is not executed"), run.LogTail()),
            Configure);
        return (java.Result, zkCompat.Result);
    }

    /// <summary>Two sessions, a node with an ephemeral child, watches of each kind; then the word.</summary>
    private static async Task<Answer> ScenarioAsync(IZooKeeperProcess server, string word)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(30) };
        await using var a = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, cts.Token);
        await using var b = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, cts.Token);
        await a.CreateAsync("/fl", Encoding.ASCII.GetBytes("data"), Open, ct: cts.Token);
        await a.CreateAsync("/fl/e1", null, Open, CreateMode.Ephemeral, ct: cts.Token);
        await a.GetDataAsync("/fl", watch: true, ct: cts.Token);
        await a.ExistsAsync("/fl/none", watch: true, ct: cts.Token);
        await a.GetChildrenAsync("/fl", watch: true, ct: cts.Token);
        await b.GetDataAsync("/fl", watch: true, ct: cts.Token);
        string text = await SendAsync(server.Port, Encoding.ASCII.GetBytes(word));
        return new Answer(text, server.DataDir, server.Port);
    }

    /// <summary>Raw bytes on a fresh connection; everything the server sends until it closes.</summary>
    private static async Task<string> SendAsync(int port, byte[] bytes)
    {
        using var cts = new CancellationTokenSource(Timeout);
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes, cts.Token);
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer, cts.Token);
        return Encoding.UTF8.GetString(answer.ToArray());
    }
}
