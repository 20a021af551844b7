using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Proto;

namespace ZkCompat.InteropTests.Auth;

/// <summary>
/// SASL (DIGEST-MD5) on client connections, Java ZooKeeper 3.8 against ZkCompat, both started with the
/// same JAAS <c>Server</c> section (<c>-Djava.security.auth.login.config</c>) and
/// <c>authProvider.1=…SASLAuthenticationProvider</c>: stock zkCli with a JAAS <c>Client</c> section, and
/// the exchange byte by byte with a small DIGEST-MD5 client.
/// </summary>
[TestFixture]
[Category("Interop")]
public partial class SaslInteropTests
{
    private const string SaslProvider = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider";
    private static readonly TimeSpan ScenarioTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    private string _dir = "";

    [SetUp]
    public void CreateDirectory()
    {
        _dir = Directory.CreateTempSubdirectory("zkcompat-sasl-interop-").FullName;
        File.WriteAllText(ServerJaas, """
            // The server's users: user_<name>="<password>".
            Server {
                org.apache.zookeeper.server.auth.DigestLoginModule required
                user_super="adminsecret"
                user_bob="bobsecret";
            };
            """);
        File.WriteAllText(ClientJaas("bobsecret"), ClientSection("bobsecret"));
        File.WriteAllText(ClientJaas("nope"), ClientSection("nope"));
    }

    [TearDown]
    public void DeleteDirectory()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException e)
        {
            TestContext.Progress.WriteLine($"could not delete {_dir}: {e.Message}");
        }
    }

    private string ServerJaas => Path.Combine(_dir, "server-jaas.conf");

    private string ClientJaas(string password) => Path.Combine(_dir, $"client-{password}-jaas.conf");

    private static string ClientSection(string password) => $$"""
        Client {
            org.apache.zookeeper.server.auth.DigestLoginModule required
            username="bob"
            password="{{password}}";
        };
        """;

    private Dictionary<string, string> WithJaas(Dictionary<string, string>? more = null)
    {
        var properties = new Dictionary<string, string>(more ?? []) { ["java.security.auth.login.config"] = ServerJaas };
        return properties;
    }

    private static void SaslScheme(ZooCfg cfg) => cfg.Set("authProvider.1", SaslProvider);

    // ---- zkCli ------------------------------------------------------------------------------------

    [Test]
    public async Task ZkCli_with_a_jaas_client_section_behaves_the_same_on_both_servers()
    {
        using var cts = new CancellationTokenSource(ScenarioTimeout);
        async Task<CliRuns> Scenario(ServerKind kind)
        {
            await using var server = await SaslServerProcess.StartAsync(kind, WithJaas(), SaslScheme, cts.Token);
            var bob = await RunZkCliAsync(server, ClientJaas("bobsecret"),
                ["create /secret hello sasl:bob:cdrwa", "get /secret", "getAcl /secret", "whoami"], cts.Token);
            var anonymous = await RunZkCliAsync(server, null, ["get /secret", "getAcl /secret", "whoami"], cts.Token);
            var wrong = await RunZkCliAsync(server, ClientJaas("nope"), ["get /secret"], cts.Token);
            return new CliRuns(bob, anonymous, wrong, server.LogText);
        }

        var java = await Scenario(ServerKind.Java);
        string javaContext = $"\n--- Java ---\n{java}";
        Assert.That(java.Bob.Outputs, Is.EqualTo(new[]
        {
            new[] { "Created /secret" },
            new[] { "hello" },
            new[] { "'sasl,'bob", ": cdrwa" },
            new[] { "Auth scheme: User", "ip: 127.0.0.1", "sasl: bob" },
        }), "the scenario must work on Java first" + javaContext);
        Assert.That(java.Bob.Events, Does.Contain("WatchedEvent state:SaslAuthenticated type:None path:null"), javaContext);
        Assert.That(java.Anonymous.Outputs[0], Is.EqualTo(new[] { "Insufficient permission : /secret" }), javaContext);
        Assert.That(java.Wrong.Events, Does.Contain("WatchedEvent state:AuthFailed type:None path:null"), javaContext);

        var zkCompat = await Scenario(ServerKind.ZkCompat);
        string context = javaContext + $"\n--- ZkCompat ---\n{zkCompat}";
        Assert.Multiple(() =>
        {
            Assert.That(zkCompat.Bob.Outputs, Is.EqualTo(java.Bob.Outputs), "bob, authenticated" + context);
            Assert.That(zkCompat.Bob.Events, Is.EqualTo(java.Bob.Events), "bob's events" + context);
            Assert.That(zkCompat.Anonymous.Outputs, Is.EqualTo(java.Anonymous.Outputs), "no SASL" + context);
            Assert.That(zkCompat.Anonymous.Events, Is.EqualTo(java.Anonymous.Events), "no SASL, events" + context);
            Assert.That(zkCompat.Wrong.Outputs, Is.EqualTo(java.Wrong.Outputs), "wrong password" + context);
            Assert.That(zkCompat.Wrong.Events, Is.EqualTo(java.Wrong.Events), "wrong password, events" + context);
        });
    }

    private sealed record CliRuns(CliSession Bob, CliSession Anonymous, CliSession Wrong, string ServerLog)
    {
        public override string ToString() =>
            $"bob:\n{Bob}\nanonymous:\n{Anonymous}\nwrong password:\n{Wrong}\n--- server log (tail) ---\n{Tail(ServerLog, 40)}";
    }

    /// <summary>Each command's output lines (noise removed, whoami sorted) and the watch events, in order.</summary>
    private sealed record CliSession(IReadOnlyList<string[]> Outputs, IReadOnlyList<string> Events, string Raw)
    {
        public override string ToString() =>
            string.Join("\n", Outputs.Select((o, i) => $"  [{i}] " + string.Join(" | ", o))) + "\n  events: " + string.Join(" | ", Events) +
            "\n  --- raw ---\n" + Raw;
    }

    private const string Marker = "zkcompat-step-";

    /// <summary>
    /// One zkCli session (CLIENT_JVMFLAGS names the client JAAS file). All commands go to stdin at once,
    /// each followed by an unknown command as a marker, whose "Command not found" line ends the command's
    /// output; then end of input makes zkCli exit.
    /// </summary>
    private static async Task<CliSession> RunZkCliAsync(IZooKeeperProcess server, string? clientJaas, IReadOnlyList<string> commands,
        CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string?> { ["TZ"] = "UTC" };
        if (clientJaas is not null) environment["CLIENT_JVMFLAGS"] = "-Djava.security.auth.login.config=" + clientJaas;
        DebianFiles.RequireJar("zookeeper.jar", "libzookeeper-java");
        await using var cli = ChildProcess.StartMerged(DebianFiles.ZkCli,
            ["-server", server.ConnectString, "-waitforconnection", "-timeout", "30000"],
            new ChildProcessOptions { RedirectStandardInput = true, Environment = environment });
        for (int i = 0; i < commands.Count; i++)
        {
            await cli.WriteLineAsync(commands[i], cancellationToken);
            await cli.WriteLineAsync(Marker + i, cancellationToken);
        }
        cli.CloseStandardInput();
        if (!await cli.WaitForExitAsync(CliTimeout, cancellationToken))
            await cli.KillAsync();
        return Parse(cli.Output, commands.Count);
    }

    private static CliSession Parse(string raw, int commands)
    {
        var outputs = new List<string[]>();
        var events = new List<string>();
        var current = new List<string>();
        foreach (string line in raw.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            if (line.StartsWith("WatchedEvent ", StringComparison.Ordinal))
            {
                // Whether Closed comes before the JVM exits is a race inside zkCli.
                if (!line.StartsWith("WatchedEvent state:Closed ", StringComparison.Ordinal)) events.Add(line);
                continue;
            }
            if (line.EndsWith(" " + Marker + outputs.Count, StringComparison.Ordinal))
            {
                outputs.Add(SortWhoAmI(current));
                current = [];
                continue;
            }
            if (IsNoise(line)) continue;
            current.Add(line);
        }
        while (outputs.Count < commands) outputs.Add(["<no marker: zkCli stopped early>", .. current]);
        return new CliSession(outputs, events, raw);
    }

    private static bool IsNoise(string line) =>
        line.Length == 0 || line == "WATCHER::" || line.StartsWith("SLF4J:", StringComparison.Ordinal)
        || line.StartsWith("Connecting to ", StringComparison.Ordinal) || line == "Welcome to ZooKeeper!"
        || line == "JLine support is disabled" || line.StartsWith('\t')
        || line.StartsWith("ZooKeeper -server host:port", StringComparison.Ordinal);

    // whoami lists the ids in HashSet order on Java: sort the "scheme: user" lines after the header.
    private static string[] SortWhoAmI(List<string> lines)
    {
        int header = lines.IndexOf("Auth scheme: User");
        if (header < 0) return [.. lines];
        return [.. lines.Take(header + 1), .. lines.Skip(header + 1).Order(StringComparer.Ordinal)];
    }

    // ---- the exchange on the wire -----------------------------------------------------------------

    [Test]
    public async Task The_exchange_is_answered_byte_for_byte_alike()
    {
        using var cts = new CancellationTokenSource(ScenarioTimeout);
        async Task<List<string>> Scenario(ServerKind kind)
        {
            await using var server = await SaslServerProcess.StartAsync(kind, WithJaas(), SaslScheme, cts.Token);
            var facts = new List<string>();

            // First, while no one has logged in: Java's callback handler remembers the last known user
            // across connections, and afterwards checks an unknown user against that user's password
            // (ZkCompat does not copy that).
            await using (var unknown = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                var digest = new DigestClient("eve", "bobsecret");
                var challenge = await SaslAsync(unknown, []);
                facts.Add("unknown user: " + Describe(await SaslAsync(unknown, digest.Respond(TokenOf(challenge)!))));
                facts.Add("unknown user closed: " + await ClosedAsync(unknown));
            }

            await using (var bob = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                var digest = new DigestClient("bob", "bobsecret");
                var challenge = await SaslAsync(bob, []);
                facts.Add("challenge: " + Describe(challenge, maskNonce: true));
                var final = await SaslAsync(bob, digest.Respond(TokenOf(challenge)!));
                facts.Add("final: " + Describe(final, maskRspauth: true));
                facts.Add("rspauth verifies: " + digest.Verify(TokenOf(final)!));
                facts.Add("whoami: " + string.Join(",", (await bob.WhoAmIAsync()).Select(c => $"{c.AuthScheme}:{c.User}").Order(StringComparer.Ordinal)));
                await bob.CreateAsync("/secret", "hi"u8.ToArray(), [new ACL((int)Perms.All, new Id("sasl", "bob"))]);
                facts.Add("getAcl: " + string.Join(",", (await bob.GetAclAsync("/secret")).Acl.Select(a => $"{a.Id.Scheme}:{a.Id.IdValue}:{a.Perms}")));
                await bob.CreateAsync("/mine", null, [new ACL((int)Perms.All, new Id("auth", ""))]);
                facts.Add("auth acl: " + string.Join(",", (await bob.GetAclAsync("/mine")).Acl.Select(a => $"{a.Id.Scheme}:{a.Id.IdValue}")));
                facts.Add("invalid sasl id: " + await ErrorOf(() => bob.CreateAsync("/bad", null, [new ACL((int)Perms.All, new Id("sasl", "a@b@c"))])));
                // The mechanism is done: a further token is refused and the connection goes.
                var again = await SaslAsync(bob, []);
                facts.Add("after completion: " + Describe(again));
                facts.Add("after completion closed: " + await ClosedAsync(bob));
            }

            await using (var anonymous = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                facts.Add("anonymous get: " + await ErrorOf(() => anonymous.GetDataAsync("/secret")));
                facts.Add("addauth sasl: " + await ErrorOf(() => anonymous.AddAuthAsync("sasl", "bob"u8.ToArray())));
            }

            await using (var wrong = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                var digest = new DigestClient("bob", "nope");
                var challenge = await SaslAsync(wrong, []);
                var final = await SaslAsync(wrong, digest.Respond(TokenOf(challenge)!));
                facts.Add("wrong password: " + Describe(final));
                facts.Add("wrong password closed: " + await ClosedAsync(wrong));
            }

            await using (var garbled = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                // Integer.parseInt fails inside Java's SASL server: no answer, the connection is dropped.
                await SaslAsync(garbled, []);
                facts.Add("bad maxbuf: " + await ErrorOf(() => SaslAsync(garbled, "maxbuf=lots"u8.ToArray())));
                facts.Add("bad maxbuf closed: " + await ClosedAsync(garbled));
            }
            return facts;
        }

        var java = await Scenario(ServerKind.Java);
        Assert.That(java, Does.Contain("rspauth verifies: True"), "the scenario must work on Java first:\n" + string.Join("\n", java));
        var zkCompat = await Scenario(ServerKind.ZkCompat);
        Assert.That(zkCompat, Is.EqualTo(java), $"Java:\n{string.Join("\n", java)}\nZkCompat:\n{string.Join("\n", zkCompat)}");
    }

    [Test]
    public async Task Required_sasl_and_a_missing_server_section_are_handled_alike()
    {
        using var cts = new CancellationTokenSource(ScenarioTimeout);
        async Task<List<string>> Scenario(ServerKind kind)
        {
            var facts = new List<string>();
            await using (var server = await SaslServerProcess.StartAsync(kind, WithJaas(),
                             cfg => SaslScheme(cfg.Set("sessionRequireClientSASLAuth", "true")), cts.Token))
            {
                await using (var anonymous = await ZooKeeperClient.ConnectAsync(server.ConnectString))
                {
                    var reply = await anonymous.SendRawAsync(OpCode.Exists, new ExistsRequest("/", false), xid: 5).WaitAsync(ReplyTimeout, cts.Token);
                    facts.Add("unauthenticated exists: " + Describe(reply));
                    facts.Add("unauthenticated closed: " + await ClosedAsync(anonymous));
                }
                await using (var bob = await ZooKeeperClient.ConnectAsync(server.ConnectString))
                {
                    var digest = new DigestClient("bob", "bobsecret");
                    var challenge = await SaslAsync(bob, []);
                    await SaslAsync(bob, digest.Respond(TokenOf(challenge)!));
                    facts.Add("authenticated exists: " + (await bob.ExistsAsync("/") is not null));
                }
                await using (var wrong = await ZooKeeperClient.ConnectAsync(server.ConnectString))
                {
                    var digest = new DigestClient("bob", "nope");
                    var challenge = await SaslAsync(wrong, []);
                    facts.Add("required, wrong password: " + Describe(await SaslAsync(wrong, digest.Respond(TokenOf(challenge)!))));
                }
            }
            await using (var server = await SaslServerProcess.StartAsync(kind, [], SaslScheme, cts.Token))
            await using (var client = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                facts.Add("no JAAS file: " + Describe(await SaslAsync(client, [])));
                facts.Add("no JAAS file, still open: " + (await client.ExistsAsync("/") is not null));
            }
            await using (var server = await SaslServerProcess.StartAsync(kind,
                             WithJaas(new() { ["zookeeper.allowSaslFailedClients"] = "true" }), SaslScheme, cts.Token))
            await using (var client = await ZooKeeperClient.ConnectAsync(server.ConnectString))
            {
                var digest = new DigestClient("bob", "nope");
                var challenge = await SaslAsync(client, []);
                facts.Add("allowed failure: " + Describe(await SaslAsync(client, digest.Respond(TokenOf(challenge)!))));
                facts.Add("allowed failure whoami: " + string.Join(",", (await client.WhoAmIAsync()).Select(c => c.AuthScheme)));
            }
            return facts;
        }

        var java = await Scenario(ServerKind.Java);
        var zkCompat = await Scenario(ServerKind.ZkCompat);
        Assert.That(zkCompat, Is.EqualTo(java), $"Java:\n{string.Join("\n", java)}\nZkCompat:\n{string.Join("\n", zkCompat)}");
    }

    private static async Task<RawReply> SaslAsync(ZooKeeperClient client, byte[] token) =>
        await client.SendRawAsync(OpCode.Sasl, new GetSASLRequest(token)).WaitAsync(ReplyTimeout);

    private static byte[]? TokenOf(RawReply reply)
    {
        var reader = new JuteReader(reply.Body, JuteLimits.Default);
        return SetSASLResponse.Deserialize(ref reader).Token;
    }

    /// <summary>Header and body of a reply; the random nonce and rspauth are masked after their shape is checked.</summary>
    private static string Describe(RawReply reply, bool maskNonce = false, bool maskRspauth = false)
    {
        string body = Convert.ToHexString(reply.Body.Span);
        if (reply.Header.Err == 0 && reply.Body.Length >= 4 && TokenOf(reply) is { } token)
        {
            body = "token:" + Encoding.UTF8.GetString(token);
            if (maskNonce) body = NoncePattern().Replace(body, "nonce=\"<40 base64>\"");
            if (maskRspauth) body = RspauthPattern().Replace(body, "rspauth=<32 hex>");
        }
        return $"xid={reply.Header.Xid} zxid={reply.Header.Zxid} err={reply.Header.Err} body={body}";
    }

    [GeneratedRegex("nonce=\"[A-Za-z0-9+/]{40}\"")]
    private static partial Regex NoncePattern();

    [GeneratedRegex("rspauth=[0-9a-f]{32}$")]
    private static partial Regex RspauthPattern();

    private static async Task<string> ErrorOf(Func<Task> action)
    {
        try
        {
            await action().WaitAsync(ReplyTimeout);
            return "ok";
        }
        catch (KeeperException e)
        {
            return e.Code.ToString();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            return "connection lost";
        }
    }

    private static async Task<bool> ClosedAsync(ZooKeeperClient client)
    {
        try
        {
            await client.Completion.WaitAsync(ReplyTimeout);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static string Tail(string text, int lines)
    {
        string[] all = text.Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>The client half of DIGEST-MD5 as the JDK writes it for ZooKeeper (authzid = user name).</summary>
    private sealed class DigestClient(string user, string password)
    {
        private const string DigestUri = "zookeeper/zk-sasl-md5";
        private readonly string _cnonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30));
        private string _realm = "";
        private string _nonce = "";

        public byte[] Respond(byte[] challenge)
        {
            string text = Encoding.UTF8.GetString(challenge);
            _realm = Regex.Match(text, "realm=\"([^\"]*)\"").Groups[1].Value;
            _nonce = Regex.Match(text, "nonce=\"([^\"]*)\"").Groups[1].Value;
            return Encoding.UTF8.GetBytes(
                $"charset=utf-8,username=\"{user}\",realm=\"{_realm}\",nonce=\"{_nonce}\",nc=00000001,cnonce=\"{_cnonce}\"," +
                $"digest-uri=\"{DigestUri}\",maxbuf=65536,response={Value("AUTHENTICATE")},qop=auth,authzid=\"{user}\"");
        }

        public bool Verify(byte[] final) => Encoding.UTF8.GetString(final) == "rspauth=" + Value("");

        private string Value(string method)
        {
            static string Md5Hex(byte[] b) => Convert.ToHexStringLower(MD5.HashData(b));
            byte[] secret = MD5.HashData(Encoding.UTF8.GetBytes($"{user}:{_realm}:{password}"));
            string ha1 = Md5Hex([.. secret, .. Encoding.UTF8.GetBytes($":{_nonce}:{_cnonce}:{user}")]);
            string ha2 = Md5Hex(Encoding.UTF8.GetBytes($"{method}:{DigestUri}"));
            return Md5Hex(Encoding.UTF8.GetBytes($"{ha1}:{_nonce}:00000001:{_cnonce}:auth:{ha2}"));
        }
    }

    /// <summary>
    /// A standalone server of either kind with extra <c>-D</c> properties: JVM options for Java, arguments
    /// before <c>zoo.cfg</c> for zkcompat (which reads them the same way).
    /// </summary>
    private sealed class SaslServerProcess : ZooKeeperProcessBase
    {
        private const string JavaMainClass = "org.apache.zookeeper.server.ZooKeeperServerMain";

        private readonly string _executable;
        private readonly IReadOnlyList<string> _arguments;
        private readonly IReadOnlyDictionary<string, string?> _environment;

        private SaslServerProcess(ServerKind kind, ZooCfg config, string tempDir, string executable, IReadOnlyList<string> arguments,
            IReadOnlyDictionary<string, string?> environment)
            : base(kind, config, tempDir)
        {
            _executable = executable;
            _arguments = arguments;
            _environment = environment;
        }

        public static async Task<IZooKeeperProcess> StartAsync(ServerKind kind, Dictionary<string, string> properties, Action<ZooCfg>? configure,
            CancellationToken cancellationToken)
        {
            var defines = properties.Select(p => $"-D{p.Key}={p.Value}").ToList();
            var (executable, arguments, environment) = kind switch
            {
                ServerKind.Java => (JavaEnvironment.Default.Java,
                    (IReadOnlyList<string>)[.. JavaZooKeeperServer.JvmOptions, .. defines, "-cp", DebianFiles.Classpath(JavaZooKeeperServer.Jars), JavaMainClass],
                    new Dictionary<string, string?>()),
                ServerKind.ZkCompat => (ZkCompatServerProcess.LocateDotnet(),
                    [ZkCompatServerProcess.LocateDll(), .. defines],
                    new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" }),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
            };
            return await StartAsync(kind, configure, (cfg, dir) => new SaslServerProcess(kind, cfg, dir, executable, arguments, environment),
                cancellationToken).ConfigureAwait(false);
        }

        protected override ChildProcess Launch() =>
            ChildProcess.Start(_executable, [.. _arguments, ConfigPath],
                new ChildProcessOptions { WorkingDirectory = TempDir, Environment = _environment });
    }
}
