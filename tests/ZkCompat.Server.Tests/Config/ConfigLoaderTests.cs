using NUnit.Framework;
using ZkCompat.Server.Config;
using ZkCompat.TestSupport;

namespace ZkCompat.Server.Tests.Config;

public class ConfigLoaderTests
{
    private static readonly Dictionary<string, string> NoProperties = [];

    private static ServerOptions Parse(string cfg, Dictionary<string, string>? properties = null) =>
        ConfigLoader.Parse(cfg, properties ?? NoProperties, configDirectory: null);

    [Test]
    public void No_config_path_means_the_embedded_default()
    {
        var o = ConfigLoader.Load([], jvmFlags: null);

        Assert.Multiple(() =>
        {
            Assert.That(o.ClientPortAddress, Is.EqualTo("127.0.0.1"));
            Assert.That(o.ClientPort, Is.EqualTo(2181));
            Assert.That(o.DataDir, Is.EqualTo("./data"));
            Assert.That(o.DataLogDir, Is.EqualTo("./data"));
            Assert.That(o.TickTime, Is.EqualTo(2000));
            Assert.That(o.EffectiveMinSessionTimeout, Is.EqualTo(4000));
            Assert.That(o.EffectiveMaxSessionTimeout, Is.EqualTo(40000));
            Assert.That(o.ConfigFile, Is.Null);
            Assert.That(o.UnknownKeys, Is.Empty);
        });
    }

    [Test]
    public void Defaults_are_javas()
    {
        var o = Parse("dataDir=/var/zk\n");

        Assert.Multiple(() =>
        {
            Assert.That(o.TickTime, Is.EqualTo(3000), "ZooKeeperServer.DEFAULT_TICK_TIME");
            Assert.That(o.MinSessionTimeout, Is.EqualTo(-1));
            Assert.That(o.MaxSessionTimeout, Is.EqualTo(-1));
            Assert.That(o.EffectiveMinSessionTimeout, Is.EqualTo(6000));
            Assert.That(o.EffectiveMaxSessionTimeout, Is.EqualTo(60000));
            Assert.That(o.DataLogDir, Is.EqualTo("/var/zk"));
            Assert.That(o.ClientPort, Is.EqualTo(0), "no client port configured");
            Assert.That(o.ClientPortAddress, Is.Null);
            Assert.That(o.MaxClientCnxns, Is.EqualTo(60));
            Assert.That(o.FourLetterWordWhitelist, Is.EquivalentTo(new[] { "srvr" }));
            Assert.That(o.JuteMaxBuffer, Is.EqualTo(0xfffff));
            Assert.That(o.JuteMaxBufferExtra, Is.EqualTo(0xfffff));
            Assert.That(o.GlobalOutstandingLimit, Is.EqualTo(1000));
            Assert.That(o.SuperDigest, Is.Null);
            Assert.That(o.SkipAcl, Is.False);
            Assert.That(o.ExtendedTypesEnabled, Is.False);
            Assert.That(o.ContainerCheckIntervalMs, Is.EqualTo(60000));
            Assert.That(o.ContainerMaxPerMinute, Is.EqualTo(10000));
            Assert.That(o.SnapCount, Is.EqualTo(100000));
            Assert.That(o.PreAllocSizeKb, Is.EqualTo(65536));
            Assert.That(o.PreAllocSizeBytes, Is.EqualTo(64L * 1024 * 1024));
            Assert.That(o.ForceSync, Is.True);
            Assert.That(o.AutopurgeSnapRetainCount, Is.EqualTo(3));
            Assert.That(o.AutopurgePurgeInterval, Is.EqualTo(0));
            Assert.That(o.ServerId, Is.EqualTo(0));
            Assert.That(o.SessionTrackerServerId, Is.EqualTo(1), "standalone session ids start 0x01");
            Assert.That(o.IsDistributed, Is.False);
            Assert.That(o.Servers, Is.Empty);
            Assert.That(o.PeerType, Is.EqualTo(LearnerType.Participant));
            Assert.That(o.StandaloneEnabled, Is.True);
            Assert.That(o.ReconfigEnabled, Is.False);
            Assert.That(o.ReadOnlyModeEnabled, Is.False);
            Assert.That(o.AdminEnableServer, Is.True);
            Assert.That(o.AdminServerAddress, Is.EqualTo("0.0.0.0"));
            Assert.That(o.AdminServerPort, Is.EqualTo(8080));
            Assert.That(o.AdminCommandUrl, Is.EqualTo("/commands"));
            Assert.That(o.MetricsProviderClassName, Is.EqualTo(ServerOptions.DefaultMetricsProvider));
            Assert.That(o.Warnings, Is.Empty);
        });
    }

    private static IEnumerable<TestCaseData> Overrides()
    {
        TestCaseData Case(string line, Func<ServerOptions, object?> read, object? expected) =>
            new TestCaseData(line, read, expected).SetName("zoo.cfg " + line.Replace(".", "_"));

        yield return Case("tickTime=2500", o => o.TickTime, 2500);
        yield return Case("dataLogDir=/logs", o => o.DataLogDir, "/logs");
        yield return Case("clientPort=2182", o => o.ClientPort, 2182);
        yield return Case("maxClientCnxns=0", o => o.MaxClientCnxns, 0);
        yield return Case("minSessionTimeout=1000", o => o.EffectiveMinSessionTimeout, 1000);
        yield return Case("maxSessionTimeout=90000", o => o.EffectiveMaxSessionTimeout, 90000);
        yield return Case("initLimit=10", o => o.InitLimit, 10);
        yield return Case("syncLimit=5", o => o.SyncLimit, 5);
        yield return Case("autopurge.snapRetainCount=7", o => o.AutopurgeSnapRetainCount, 7);
        yield return Case("autopurge.purgeInterval=24", o => o.AutopurgePurgeInterval, 24);
        yield return Case("reconfigEnabled=TRUE", o => o.ReconfigEnabled, true);
        yield return Case("standaloneEnabled=true", o => o.StandaloneEnabled, true);
        yield return Case("localSessionsEnabled=true", o => o.LocalSessionsEnabled, true);
        yield return Case("peerType=Observer", o => o.PeerType, LearnerType.Participant); // no server line says so
        yield return Case("clientPortListenBacklog=128", o => o.ClientPortListenBacklog, 128);
        yield return Case("skipACL=yes", o => o.SkipAcl, true);
        yield return Case("skipACL=true", o => o.SkipAcl, false); // Java tests for exactly "yes"
        yield return Case("forceSync=no", o => o.ForceSync, false);
        yield return Case("forceSync=false", o => o.ForceSync, true); // only exactly "no" disables it
        yield return Case("snapCount=50000", o => o.SnapCount, 50000);
        yield return Case("preAllocSize=1024", o => o.PreAllocSizeBytes, 1024L * 1024);
        yield return Case("globalOutstandingLimit=0x10", o => o.GlobalOutstandingLimit, 16); // Integer.getInteger decodes
        yield return Case("extendedTypesEnabled=True", o => o.ExtendedTypesEnabled, true);
        yield return Case("DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
            o => o.SuperDigest, "super:D/InIHSb7yEEbrWz8b9l71RjZJU=");
        yield return Case("admin.enableServer=false", o => o.AdminEnableServer, false);
        yield return Case("admin.serverPort=9090", o => o.AdminServerPort, 9090);
        yield return Case("admin.serverAddress=127.0.0.1", o => o.AdminServerAddress, "127.0.0.1");
        yield return Case("admin.commandURL=/cmd", o => o.AdminCommandUrl, "/cmd");
        yield return Case("metricsProvider.httpPort=7000", o => o.MetricsProviderConfiguration["httpPort"], "7000");
        yield return Case("metricsProvider.className=" + ServerOptions.PrometheusMetricsProvider,
            o => o.MetricsProviderClassName, ServerOptions.PrometheusMetricsProvider);
        // Not zookeeper.* properties, so zoo.cfg cannot set them (Java reads znode.container.* and jute.maxbuffer).
        yield return Case("jute.maxbuffer=4096", o => o.JuteMaxBuffer, 0xfffff);
        yield return Case("znode.container.checkIntervalMs=5", o => o.ContainerCheckIntervalMs, 60000);
    }

    [TestCaseSource(nameof(Overrides))]
    public void A_zoo_cfg_line_sets_its_option(string line, Func<ServerOptions, object?> read, object? expected)
    {
        Assert.That(read(Parse("dataDir=/var/zk\n" + line + "\n")), Is.EqualTo(expected));
    }

    private static IEnumerable<TestCaseData> PropertyOverrides()
    {
        TestCaseData Case(string name, string value, Func<ServerOptions, object?> read, object? expected) =>
            new TestCaseData(name, value, read, expected).SetName($"-D{name}={value}");

        yield return Case("jute.maxbuffer", "0x200000", o => o.JuteMaxBuffer, 0x200000);
        yield return Case("jute.maxbuffer", "abc", o => o.JuteMaxBuffer, 0xfffff); // getInteger ignores junk
        yield return Case("jute.maxbuffer", "4096", o => o.JuteMaxBufferExtra, 4096);
        yield return Case("zookeeper.jute.maxbuffer.extrasize", "10", o => o.JuteMaxBufferExtra, 1024);
        yield return Case("zookeeper.jute.maxbuffer.extrasize", "5000", o => o.JuteMaxBufferExtra, 5000);
        yield return Case("znode.container.checkIntervalMs", "1000", o => o.ContainerCheckIntervalMs, 1000);
        yield return Case("znode.container.maxPerMinute", "5", o => o.ContainerMaxPerMinute, 5);
        yield return Case("zookeeper.snapCount", "1", o => o.SnapCount, 2);
        yield return Case("zookeeper.preAllocSize", "0x10", o => o.PreAllocSizeKb, 65536L); // Long.parseLong, not decode
        yield return Case("readonlymode.enabled", "TRUE", o => o.ReadOnlyModeEnabled, true);
        yield return Case("zookeeper.DigestAuthenticationProvider.enabled", "false", o => o.DigestAuthEnabled, false);
        yield return Case("zookeeper.DigestAuthenticationProvider.digestAlg", "SHA-256", o => o.DigestAlgorithm, "SHA-256");
        yield return Case("zookeeper.authProvider.x509", "org.apache.zookeeper.server.auth.X509AuthenticationProvider",
            o => o.AuthProviderClasses["x509"], "org.apache.zookeeper.server.auth.X509AuthenticationProvider");
    }

    [TestCaseSource(nameof(PropertyOverrides))]
    public void A_system_property_sets_its_option(string name, string value, Func<ServerOptions, object?> read, object? expected)
    {
        Assert.That(read(Parse("dataDir=/var/zk\n", new() { [name] = value })), Is.EqualTo(expected));
    }

    [Test]
    public void Unknown_keys_become_zookeeper_properties_and_are_listed()
    {
        var o = Parse("dataDir=/d\nfoo.bar = baz \nskipACL=yes\nserver.1=h:1:2\n", new() { ["user.name"] = "zk" });

        Assert.Multiple(() =>
        {
            Assert.That(o.SystemProperties["zookeeper.foo.bar"], Is.EqualTo("baz"));
            Assert.That(o.SystemProperties["zookeeper.skipACL"], Is.EqualTo("yes"));
            Assert.That(o.SystemProperties["user.name"], Is.EqualTo("zk"));
            Assert.That(o.UnknownKeys, Is.EqualTo(new[] { "foo.bar" }), "keys the server reads are not unknown");
            Assert.That(o.SystemProperties.ContainsKey("zookeeper.dataDir"), Is.False);
        });
    }

    [Test]
    public void Property_precedence_is_jvmflags_then_arguments_then_zoo_cfg()
    {
        string cfgPath = WriteTempFile("dataDir=/d\nsnapCount=9\n");
        const string flags = "-Xmx1g -Dzookeeper.snapCount=5 -Dzookeeper.globalOutstandingLimit=11 -Dzookeeper.maxCnxns=3";

        var fromFlags = ConfigLoader.Load([], flags);
        var fromArgs = ConfigLoader.Load(["-Dzookeeper.snapCount=7", "-Dzookeeper.globalOutstandingLimit=12"], flags);
        var fromCfg = ConfigLoader.Load(["-Dzookeeper.snapCount=7", cfgPath], flags);

        Assert.Multiple(() =>
        {
            Assert.That(fromFlags.SnapCount, Is.EqualTo(5));
            Assert.That(fromArgs.SnapCount, Is.EqualTo(7));
            Assert.That(fromArgs.GlobalOutstandingLimit, Is.EqualTo(12));
            Assert.That(fromArgs.MaxCnxns, Is.EqualTo(3));
            Assert.That(fromCfg.SnapCount, Is.EqualTo(9), "Java's parse calls System.setProperty, overriding -D");
            Assert.That(fromCfg.SystemProperties["zookeeper.snapCount"], Is.EqualTo("9"));
        });
    }

    [Test]
    public void Jvm_flags_may_quote_values_with_spaces()
    {
        var o = ConfigLoader.Load([], "-Xmx512m -Dzookeeper.4lw.commands.whitelist=\"stat, ruok\" '-Dzookeeper.admin.commandURL=/a b'");

        Assert.That(o.FourLetterWordWhitelist, Is.EquivalentTo(new[] { "stat", "ruok", "srvr" }));
        Assert.That(o.AdminCommandUrl, Is.EqualTo("/a b"));
    }

    [TestCase(null, null, new[] { "srvr" })]
    [TestCase("stat, ruok", null, new[] { "stat", "ruok", "srvr" })]
    [TestCase(" , mntr,,", null, new[] { "mntr", "srvr" })]
    [TestCase("ruok", "true", new[] { "ruok", "isro", "srvr" })]
    [TestCase("ruok", "TRUE", new[] { "ruok", "srvr" })] // FourLetterCommands wants exactly "true"
    [TestCase("stat,foo", null, new[] { "stat", "foo", "srvr" })]
    public void Four_letter_word_whitelist(string? whitelist, string? readOnly, string[] expected)
    {
        var properties = new Dictionary<string, string>();
        if (whitelist is not null) properties["zookeeper.4lw.commands.whitelist"] = whitelist;
        if (readOnly is not null) properties["readonlymode.enabled"] = readOnly;

        Assert.That(Parse("dataDir=/d\n", properties).FourLetterWordWhitelist, Is.EquivalentTo(expected));
    }

    [TestCase("4lw.commands.whitelist=*")]
    [TestCase("4lw.commands.whitelist=stat, *")]
    public void A_star_enables_every_four_letter_word(string line)
    {
        var o = Parse("dataDir=/d\n" + line + "\n");
        Assert.That(o.FourLetterWordWhitelist, Is.EquivalentTo(new[]
        {
            "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
            "wchc", "wchp", "wchs", "mntr", "isro", "telnet close", "hash",
        }));
        Assert.That(o.IsFourLetterWordEnabled("mntr"), Is.True);
    }

    private static IEnumerable<TestCaseData> BadConfigs()
    {
        TestCaseData Case(string name, string cfg, string key, string message) =>
            new TestCaseData(cfg, key, message).SetName("rejects " + name);

        const string D = "dataDir=/d\n";
        yield return Case("a non-numeric port", D + "clientPort=abc", "clientPort", "For input string: \"abc\"");
        yield return Case("a port out of range", D + "clientPort=70000", "clientPort", "port out of range:70000");
        yield return Case("a non-numeric tickTime", D + "tickTime=2s", "tickTime", "For input string: \"2s\"");
        yield return Case("tickTime 0", D + "tickTime=0", "tickTime", "tickTime is not set");
        yield return Case("a bad boolean", D + "reconfigEnabled=yes", "reconfigEnabled",
            "Invalid option yes for reconfigEnabled. Choose 'true' or 'false.'");
        yield return Case("an unknown peerType", D + "peerType=voter", "peerType", "Unrecognised peertype: voter");
        yield return Case("electionAlg other than 3", D + "electionAlg=1", "electionAlg", "Invalid electionAlg value. Only 3 is supported.");
        yield return Case("a missing dataDir", "clientPort=2181", "dataDir", "dataDir is not set");
        yield return Case("clientPortAddress without clientPort", D + "clientPortAddress=127.0.0.1", "clientPortAddress",
            "clientPortAddress is set but clientPort is not set");
        yield return Case("min above max", D + "minSessionTimeout=5000\nmaxSessionTimeout=4000", "minSessionTimeout",
            "minSessionTimeout must not be larger than maxSessionTimeout");
        yield return Case("an unknown metrics provider", D + "metricsProvider.className=com.example.Metrics", "metricsProvider.className",
            "metrics provider class was not found");
        yield return Case("server required SASL without SASL", D + "quorum.auth.serverRequireSasl=true", "quorum.auth.serverRequireSasl",
            "quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.serverRequireSasl");
        yield return Case("a non-numeric server id", D + "server.one=h:2888:3888", "server.one", "For input string: \"one\"");
        yield return Case("a server line with one port", D + "server.1=h:2888", "server.1", "h:2888 does not have the form");
        yield return Case("a non-numeric quorum port", D + "server.1=h:x:3888", "server.1", "Address unresolved: h:x");
        yield return Case("equal quorum and election ports", D + "server.1=h:2888:2888", "server.1",
            "Client and election port must be different! Please update the configuration file on server.1");
        yield return Case("an unknown server type", D + "server.1=h:1:2:voter", "server.1", "Unrecognised peertype: voter");
        yield return Case("several addresses without multiAddress", D + "server.1=a:1:2|b:1:2", "server.1",
            "Multiple address feature is disabled, but multiple addresses were specified for sid 1");
        yield return Case("an unclosed IPv6 bracket", D + "server.1=[::1:1:2", "server.1", "starts with '[' but has no matching ']:'");
        yield return Case("observers without participants", D + "server.1=h:1:2:observer", "server", "Observers w/o participants");
        yield return Case("no participant with standalone disabled", D + "standaloneEnabled=false", "standaloneEnabled",
            "standaloneEnabled = false then number of participants should be >0");
        yield return Case("a quorum without initLimit", D + "syncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2", "initLimit", "initLimit is not set");
        yield return Case("a quorum without myid", D + "initLimit=5\nsyncLimit=2\nserver.1=a:1:2\nserver.2=b:1:2", "myid", "myid file is missing");
        yield return Case("a bad unicode escape", D + "x=\\uZZZZ", "", "Malformed \\uxxxx encoding.");
    }

    [TestCaseSource(nameof(BadConfigs))]
    public void Bad_values_are_config_errors_naming_the_key(string cfg, string key, string message)
    {
        var e = Assert.Throws<ConfigException>(() => Parse(cfg));
        Assert.That(e!.Message, Does.Contain(message));
        if (key.Length > 0) Assert.That(e.Key, Is.EqualTo(key));
    }

    [Test]
    public void A_wrapped_error_names_the_file_as_java_does()
    {
        string path = WriteTempFile("dataDir=/d\nclientPort=abc\n");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load([path], null));
        Assert.That(e!.Message, Is.EqualTo($"Error processing {path}: For input string: \"abc\" (clientPort)"));
    }

    [Test]
    public void SnapRetainCount_below_three_is_raised_to_three_with_a_warning()
    {
        var o = Parse("dataDir=/d\nautopurge.snapRetainCount=1\n");
        Assert.That(o.AutopurgeSnapRetainCount, Is.EqualTo(3));
        Assert.That(o.Warnings, Has.Some.Contains("Invalid autopurge.snapRetainCount: 1. Defaulting to 3"));
    }

    [Test]
    public void A_quorum_reads_its_server_lines_and_myid()
    {
        string dataDir = TempDir();
        File.WriteAllText(Path.Combine(dataDir, "myid"), "2\n");
        string cfg = $"""
            tickTime=2000
            dataDir={dataDir}
            initLimit=10
            syncLimit=5
            server.1=zk1.example:2888:3888
            server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182
            server.3=[::1]:2890:3890:observer;2183
            version=100000000
            """;

        var o = Parse(cfg);

        Assert.Multiple(() =>
        {
            Assert.That(o.IsDistributed, Is.True);
            Assert.That(o.ServerId, Is.EqualTo(2));
            Assert.That(o.SessionTrackerServerId, Is.EqualTo(2));
            Assert.That(o.PeerType, Is.EqualTo(LearnerType.Participant));
            Assert.That(o.Servers.Select(s => s.Id), Is.EqualTo(new[] { 1L, 2L, 3L }));
            Assert.That(o.Servers[0].Type, Is.EqualTo(LearnerType.Participant));
            Assert.That(o.Servers[0].ClientPort, Is.Null);
            Assert.That(o.Servers[0].Addresses, Is.EqualTo(new[] { new QuorumAddress("zk1.example", 2888, 3888) }));
            Assert.That((o.Servers[1].ClientHost, o.Servers[1].ClientPort), Is.EqualTo(("127.0.0.1", (int?)2182)));
            Assert.That(o.Servers[2].Type, Is.EqualTo(LearnerType.Observer));
            Assert.That((o.Servers[2].Host, o.Servers[2].QuorumPort, o.Servers[2].ElectionPort), Is.EqualTo(("::1", 2890, 3890)));
            Assert.That((o.Servers[2].ClientHost, o.Servers[2].ClientPort), Is.EqualTo(("0.0.0.0", (int?)2183)));
            Assert.That(o.QuorumConfigVersion, Is.EqualTo(0x100000000L));
            // The client address comes from this server's own line.
            Assert.That((o.ClientPortAddress, o.ClientPort), Is.EqualTo(("127.0.0.1", 2182)));
            Assert.That(o.QuorumConfigText(), Is.EqualTo(
                "server.1=zk1.example:2888:3888:participant\n"
                + "server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n"
                + "server.3=[::1]:2890:3890:observer;0.0.0.0:2183\n"
                + "version=100000000"));
            Assert.That(o.Warnings, Is.EqualTo(new[] { "No server failure will be tolerated. You need at least 3 servers." }));
        });
    }

    [Test]
    public void An_observer_myid_makes_this_server_an_observer()
    {
        string dataDir = TempDir();
        File.WriteAllText(Path.Combine(dataDir, "myid"), "3");
        var o = Parse($"dataDir={dataDir}\ninitLimit=1\nsyncLimit=1\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2:observer\n");

        Assert.That(o.PeerType, Is.EqualTo(LearnerType.Observer));
        Assert.That(o.Self!.Type, Is.EqualTo(LearnerType.Observer));
        Assert.That(o.Warnings, Has.Some.Contains("No server failure will be tolerated"));
    }

    [Test]
    public void A_single_server_line_runs_standalone()
    {
        string dataDir = TempDir();
        File.WriteAllText(Path.Combine(dataDir, "myid"), "5");
        var o = Parse($"dataDir={dataDir}\nserver.5=a:2888:3888\n");

        Assert.Multiple(() =>
        {
            Assert.That(o.IsDistributed, Is.False);
            Assert.That(o.ServerId, Is.EqualTo(5));
            Assert.That(o.SessionTrackerServerId, Is.EqualTo(1));
            Assert.That(o.Warnings, Has.Some.Contains("only one server specified"));
        });
    }

    [TestCase("two\n", "serverid two is not a number")]
    [TestCase(" 2\n", "serverid  2 is not a number")] // Java does not trim myid
    [TestCase("", "serverid null is not a number")]
    public void A_bad_myid_is_an_error(string myid, string message)
    {
        string dataDir = TempDir();
        File.WriteAllText(Path.Combine(dataDir, "myid"), myid);
        var e = Assert.Throws<ConfigException>(() => Parse($"dataDir={dataDir}\n"));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void Extended_types_limit_the_server_id_to_254()
    {
        string dataDir = TempDir();
        File.WriteAllText(Path.Combine(dataDir, "myid"), "255");
        string cfg = $"dataDir={dataDir}\ninitLimit=1\nsyncLimit=1\nserver.255=a:1:2\nserver.2=b:1:2\n";

        Assert.That(Parse(cfg).ServerId, Is.EqualTo(255));
        var e = Assert.Throws<ConfigException>(() => Parse(cfg, new() { ["zookeeper.extendedTypesEnabled"] = "true" }));
        Assert.That(e!.Message, Is.EqualTo("extendedTypesEnabled is true but Server ID is too large. Cannot be larger than 254"));
    }

    [Test]
    public void Server_lines_may_live_in_a_dynamic_config_file_whose_name_carries_the_version()
    {
        string dataDir = TempDir();
        File.WriteAllText(Path.Combine(dataDir, "myid"), "1");
        string dynamic = Path.Combine(dataDir, "zoo.cfg.dynamic.2a");
        File.WriteAllText(dynamic, "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\n");

        var o = Parse($"dataDir={dataDir}\ninitLimit=1\nsyncLimit=1\ndynamicConfigFile={dynamic}\n");

        Assert.That(o.Servers, Has.Count.EqualTo(3));
        Assert.That(o.QuorumConfigVersion, Is.EqualTo(0x2a));
        Assert.That(o.DynamicConfigFile, Is.EqualTo(dynamic));
    }

    [TestCase("server.4=d:1:2\n", "", "parameter: server.4 must be in a separate dynamic config file")]
    [TestCase("", "tickTime=2000\n", "Unrecognised parameter: tickTime")]
    [TestCase("", "version=1\n", "dynamic file shouldn't have version inside")]
    public void Dynamic_config_file_rules(string extraStatic, string extraDynamic, string message)
    {
        string dir = TempDir();
        string dynamic = Path.Combine(dir, "zoo.cfg.dynamic");
        File.WriteAllText(dynamic, "server.1=a:1:2\nserver.2=b:1:2\n" + extraDynamic);

        var e = Assert.Throws<ConfigException>(() => Parse($"dataDir={dir}\ndynamicConfigFile={dynamic}\n{extraStatic}"));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void Legacy_arguments_are_port_dataDir_tickTime_maxClientCnxns()
    {
        string dir = TempDir();
        var o = ConfigLoader.Load(["-Dzookeeper.snapCount=10", "2182", dir, "2500", "7"], null);

        Assert.That((o.ClientPort, o.ClientPortAddress, o.DataDir, o.TickTime, o.MaxClientCnxns, o.SnapCount),
            Is.EqualTo((2182, (string?)null, dir, 2500, 7, 10)));
    }

    [Test]
    public void Too_many_arguments()
    {
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load(["1", "2", "3", "4", "5"], null));
        Assert.That(e!.Message, Is.EqualTo("Invalid number of arguments:[1, 2, 3, 4, 5]"));
    }

    [Test]
    public void A_missing_config_file()
    {
        string path = Path.Combine(TempDir(), "absent.cfg");
        var e = Assert.Throws<ConfigException>(() => ConfigLoader.Load([path], null));
        Assert.That(e!.Message, Is.EqualTo($"Error processing {path}: {path} file is missing"));
    }

    [Test]
    public void Loading_a_file_records_where_it_came_from()
    {
        string path = WriteTempFile("# sample\ntickTime=2000\ndataDir=/var/zk\nclientPort=2181\n");
        var o = ConfigLoader.Load([path], null);

        Assert.Multiple(() =>
        {
            Assert.That(o.ConfigFile, Is.EqualTo(path));
            Assert.That(o.ConfigDirectory, Is.EqualTo(Path.GetDirectoryName(path)));
            Assert.That(o.InitialConfig, Is.EqualTo(File.ReadAllText(path)));
            Assert.That(o.ClientPort, Is.EqualTo(2181));
        });
    }

    [Test]
    public void The_sample_conf_zoo_cfg_loads()
    {
        string path = Path.Combine(RepoPaths.Root, "conf", "zoo.cfg");

        var o = ConfigLoader.Load([path], null);

        Assert.That((o.TickTime, o.ClientPort, o.ClientPortAddress), Is.EqualTo((2000, 2181, (string?)"127.0.0.1")));
        Assert.That(o.FourLetterWordWhitelist, Is.EquivalentTo(new[] { "srvr", "ruok", "stat", "mntr", "conf" }));
        Assert.That(o.UnknownKeys, Is.Empty);
    }

    private readonly List<string> _tempDirs = [];

    private string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "zkcompat-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        _tempDirs.Add(dir);
        return dir;
    }

    private string WriteTempFile(string text)
    {
        string path = Path.Combine(TempDir(), "zoo.cfg");
        File.WriteAllText(path, text);
        return path;
    }

    [TearDown]
    public void RemoveTempDirs()
    {
        foreach (string dir in _tempDirs) Directory.Delete(dir, recursive: true);
        _tempDirs.Clear();
    }
}
