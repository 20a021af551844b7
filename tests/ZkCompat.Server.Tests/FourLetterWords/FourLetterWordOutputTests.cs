using ZkCompat.TestSupport;
using System.Text.RegularExpressions;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Server.Network.Commands;
using static ZkCompat.Server.Tests.FourLetterWords.FourLetterWordHarness;

namespace ZkCompat.Server.Tests.FourLetterWords;

/// <summary>Each word's text, line by line, in the format Java 3.8.0 prints (its server/command/*.java).</summary>
public class FourLetterWordOutputTests
{
    private static readonly List<ACL> Open = [new ACL((int)Perms.All, new Id("world", "anyone"))];

    private const string Version = @"Zookeeper version: 3\.8\.0-zkcompat[^,]*, built on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC";
    private const string JavaDate = @"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}";

    private static void AssertLines(string answer, params string[] patterns)
    {
        string[] lines = Lines(answer);
        Assert.That(lines, Has.Length.EqualTo(patterns.Length), answer);
        for (int i = 0; i < patterns.Length; i++)
            Assert.That(lines[i], Does.Match("^" + patterns[i] + "$"), $"line {i} of:\n{answer}");
    }

    [TestCase("ruok", "imok")]
    [TestCase("isro", "rw")]
    [TestCase("gtmk", "306")]
    [TestCase("hash", "")]
    [TestCase("srst", "Server stats reset.\n")]
    [TestCase("crst", "Connection stats reset.\n")]
    public async Task Fixed_answers(string word, string expected)
    {
        await using var server = Start();
        Assert.That(await RunAsync(server.Server, word), Is.EqualTo(expected));
    }

    [Test]
    public async Task Srvr_on_a_fresh_server()
    {
        await using var server = Start();
        string answer = await RunAsync(server.Server, "srvr");
        AssertLines(answer,
            Version,
            "Latency min/avg/max: 0/0.0/0",
            // The word itself is the one packet received; its answer is not sent yet.
            "Received: 1",
            "Sent: 0",
            "Connections: 0",
            "Outstanding: 0",
            "Zxid: 0x0",
            "Mode: standalone",
            // The root counts twice ("" and "/"), with /zookeeper, /zookeeper/quota and /zookeeper/config.
            "Node count: 5");
    }

    [Test]
    public async Task Srvr_after_requests_reports_latency_packets_and_zxid()
    {
        await using var server = Start();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/a", [1], Open);
        await client.CreateAsync("/b", null, Open);
        string answer = await SendAsync(server, "srvr");
        AssertLines(answer,
            Version,
            @"Latency min/avg/max: \d+/\d+\.\d{1,4}/\d+",
            // connect + 2 creates + this word
            "Received: 4",
            "Sent: 3",
            // the client and this word's own connection
            "Connections: 2",
            "Outstanding: 0",
            "Zxid: 0x3",
            "Mode: standalone",
            "Node count: 7");
    }

    [Test]
    public async Task Answers_count_as_packets_sent_and_srst_resets_the_counters()
    {
        await using var server = Start();
        Assert.That(await RunAsync(server.Server, "srst"), Is.EqualTo("Server stats reset.\n"));
        string answer = await RunAsync(server.Server, "srvr");
        // srst's own answer went out after the reset; srvr is the one packet received since.
        Assert.That(Lines(answer)[2..4], Is.EqualTo(new[] { "Received: 1", "Sent: 1" }));
    }

    [Test]
    public async Task Stat_lists_clients_briefly_with_the_asking_connection()
    {
        await using var server = Start();
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await a.CreateAsync("/x", null, Open);
        string answer = await SendAsync(server, "stat");
        string[] lines = Lines(answer);
        Assert.That(lines[0], Does.Match("^" + Version + "$"));
        Assert.That(lines[1], Is.EqualTo("Clients:"));
        var clients = lines[2..5].Order(StringComparer.Ordinal).ToArray();
        var ports = new[] { a, b }.Select(c => ConnectionOf(server, c.SessionId).RemoteEndPoint.Port).ToArray();
        Assert.That(clients, Is.EquivalentTo(new[]
        {
            $" /127.0.0.1:{ports[0]}[1](queued=0,recved=2,sent=2)",
            $" /127.0.0.1:{ports[1]}[1](queued=0,recved=1,sent=1)",
        }.Append(clients.Single(l => Regex.IsMatch(l, @"^ /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$")))));
        Assert.That(lines[5], Is.Empty);
        AssertLines(string.Join('\n', lines[6..]) + "\n",
            @"Latency min/avg/max: \d+/\d+\.\d{1,4}/\d+",
            "Received: 4",
            "Sent: 3",
            "Connections: 3",
            "Outstanding: 0",
            "Zxid: 0x3",
            "Mode: standalone",
            "Node count: 6");
    }

    [Test]
    public async Task Cons_shows_session_details_and_crst_clears_them()
    {
        var time = new ManualTimeProvider(startMs: 5000);
        await using var server = Start(time: time);
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/c", null, Open);
        await client.GetDataAsync("/c");
        var cnxn = ConnectionOf(server, client.SessionId);
        string sid = client.SessionId.ToString("x");
        long est = cnxn.Stats.Established.ToUnixTimeMilliseconds();

        string answer = await RunAsync(server.Server, "cons");
        // The manual clock does not move, so every latency is 0 and lresp is the clock's 5000 ms.
        Assert.That(answer, Is.EqualTo(
            $" /127.0.0.1:{cnxn.RemoteEndPoint.Port}[1](queued=0,recved=3,sent=3,sid=0x{sid},lop=GETD,est={est}," +
            $"to={client.NegotiatedTimeout},lcxid=0x2,lzxid=0x2,lresp=5000,llat=0,minlat=0,avglat=0,maxlat=0)\n\n"));

        Assert.That(await RunAsync(server.Server, "crst"), Is.EqualTo("Connection stats reset.\n"));
        answer = await RunAsync(server.Server, "cons");
        // No lcxid after a reset (-1 is not printed); lzxid prints -1 as Java's unsigned hex.
        Assert.That(answer, Is.EqualTo(
            $" /127.0.0.1:{cnxn.RemoteEndPoint.Port}[1](queued=0,recved=0,sent=0,sid=0x{sid},lop=NA,est={est}," +
            $"to={client.NegotiatedTimeout},lzxid=0xffffffffffffffff,lresp=0,llat=0,minlat=0,avglat=0,maxlat=0)\n\n"));
    }

    [Test]
    public async Task Cons_without_connections_is_one_empty_line()
    {
        await using var server = Start();
        Assert.That(await RunAsync(server.Server, "cons"), Is.EqualTo("\n"));
    }

    [Test]
    public async Task Conf_prints_the_effective_settings()
    {
        string dir = Path.Combine(Path.GetTempPath(), "zkc-conf-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(dir, "version-2"));
        await File.WriteAllBytesAsync(Path.Combine(dir, "version-2", "log.1"), new byte[1234]);
        try
        {
            var options = AllEnabled() with { DataDir = dir, ClientPort = 2181, TickTime = 1500, MaxClientCnxns = 7 };
            await using var server = Start(options);
            string answer = await RunAsync(server.Server, "conf");
            string v2 = Path.Combine(dir, "version-2");
            Assert.That(answer, Is.EqualTo(
                "clientPort=2181\n" +
                "secureClientPort=-1\n" +
                $"dataDir={v2}\n" +
                "dataDirSize=1234\n" +
                $"dataLogDir={v2}\n" +
                "dataLogSize=1234\n" +
                "tickTime=1500\n" +
                "maxClientCnxns=7\n" +
                "minSessionTimeout=3000\n" +
                "maxSessionTimeout=30000\n" +
                "clientPortListenBacklog=-1\n" +
                "serverId=0\n"));
            Assert.That(await RunAsync(server.Server, "dirs"), Is.EqualTo("datadir_size: 1234\nlogdir_size: 1234\n"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Envi_lists_javas_keys_in_javas_order()
    {
        await using var server = Start();
        string[] lines = Lines(await RunAsync(server.Server, "envi"));
        Assert.That(lines[0], Is.EqualTo("Environment:"));
        Assert.That(lines[1..].Select(l => l[..l.IndexOf('=', StringComparison.Ordinal)]), Is.EqualTo(new[]
        {
            "zookeeper.version", "host.name", "java.version", "java.vendor", "java.home", "java.class.path",
            "java.library.path", "java.io.tmpdir", "java.compiler", "os.name", "os.arch", "os.version", "user.name",
            "user.home", "user.dir", "os.memory.free", "os.memory.max", "os.memory.total",
        }));
        Assert.That(lines[1], Does.Match("^zookeeper.version=3\\.8\\.0-zkcompat"));
        Assert.That(lines[3], Is.EqualTo("java.version=" + Environment.Version));
        Assert.That(lines[^3..], Has.All.Match(@"^os\.memory\.(free|max|total)=\d+MB$"));
    }

    [Test]
    public async Task Watch_words_look_at_data_watches()
    {
        await using var server = Start();
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await a.CreateAsync("/w", null, Open);
        await a.GetDataAsync("/w", watch: true);
        await a.ExistsAsync("/missing", watch: true);
        await b.GetDataAsync("/w", watch: true);
        // Child watches are left out of all three, as in Java.
        await b.GetChildrenAsync("/", watch: true);
        string sa = "0x" + a.SessionId.ToString("x"), sb = "0x" + b.SessionId.ToString("x");

        Assert.That(await RunAsync(server.Server, "wchs"), Is.EqualTo("2 connections watching 2 paths\nTotal watches:3\n"));

        string[] byPath = Lines(await RunAsync(server.Server, "wchp"));
        Assert.That(byPath[^1], Is.Empty);
        Assert.That(Blocks(byPath[..^1]), Is.EquivalentTo(new[] { $"/w|\t{sa}|\t{sb}", $"/missing|\t{sa}" }));

        string[] byCnxn = Lines(await RunAsync(server.Server, "wchc"));
        Assert.That(byCnxn[^1], Is.Empty);
        Assert.That(Blocks(byCnxn[..^1]), Is.EquivalentTo(new[] { $"{sa}|\t/missing|\t/w", $"{sb}|\t/w" }));
    }

    [Test]
    public async Task Watch_words_on_a_server_without_watches()
    {
        await using var server = Start();
        Assert.That(await RunAsync(server.Server, "wchs"), Is.EqualTo("0 connections watching 0 paths\nTotal watches:0\n"));
        Assert.That(await RunAsync(server.Server, "wchp"), Is.EqualTo("\n"));
        Assert.That(await RunAsync(server.Server, "wchc"), Is.EqualTo("\n"));
    }

    [Test]
    public async Task Dump_lists_sessions_ephemerals_and_connections_by_expiry()
    {
        var time = new ManualTimeProvider();
        await using var server = Start(time: time);
        await using var client = await server.ConnectAsync(new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(10) });
        await client.CreateAsync("/e1", null, Open, CreateMode.Ephemeral);
        await client.CreateAsync("/e2", null, Open, CreateMode.Ephemeral);
        var cnxn = ConnectionOf(server, client.SessionId);
        string sid = "0x" + client.SessionId.ToString("x");
        var origin = time.GetUtcNow();

        string[] lines = Lines(await RunAsync(server.Server, "dump"));
        Assert.That(lines[0..4], Is.EqualTo(new[]
        {
            "SessionTracker dump:",
            "Session Sets (1)/(1):",
            // Sessions expire in tickTime buckets: 0 + 10000 rounded up to the next 2000.
            $"1 expire at {JavaFormat.Date(origin.AddMilliseconds(12000))}:",
            "\t" + sid,
        }));
        Assert.That(lines[4..6], Is.EqualTo(new[] { "ephemeral nodes dump:", "Sessions with Ephemerals (1):" }));
        Assert.That(lines[6], Is.EqualTo(sid + ":"));
        Assert.That(lines[7..9], Is.EquivalentTo(new[] { "\t/e1", "\t/e2" }));
        Assert.That(lines[9..], Is.EqualTo(new[]
        {
            "Connections dump:",
            "Connections Sets (1)/(1):",
            // Connections expire in buckets of the sessionless timeout (10 s): 0 + 10000 → 20000.
            $"1 expire at {JavaFormat.Date(origin.AddMilliseconds(20000))}:",
            $"\tip: /127.0.0.1:{cnxn.RemoteEndPoint.Port} sessionId: {sid}",
        }));
        Assert.That(lines[2], Does.Match("^1 expire at " + JavaDate + ":$"));
    }

    [Test]
    public async Task Stmk_sets_the_mask_that_gtmk_reads()
    {
        await using var server = Start();
        byte[] mask = [0, 0, 0, 0, 0, 0, 0x01, 0x02];
        Assert.That(await RunAsync(server.Server, "stmk", mask), Is.EqualTo("258"));
        Assert.That(await RunAsync(server.Server, "gtmk"), Is.EqualTo("258"));
        Assert.That(await RunAsync(server.Server, "stmk", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]), Is.EqualTo("-2"));
    }

    /// <summary>Groups "head, \tmember..." lines into "head|\tmember|..." with members sorted.</summary>
    private static IEnumerable<string> Blocks(string[] lines)
    {
        var blocks = new List<List<string>>();
        foreach (string line in lines)
        {
            if (line.StartsWith('\t')) blocks[^1].Add(line);
            else blocks.Add([line]);
        }
        return blocks.Select(b => string.Join('|', b.Take(1).Concat(b.Skip(1).Order(StringComparer.Ordinal))));
    }
}
