using System.Globalization;

namespace ZkCompat.Server.Config;

/// <summary>
/// Turns zoo.cfg entries into <see cref="ServerOptions"/> the way Java's
/// <c>QuorumPeerConfig.parseProperties</c> and <c>setupQuorumPeerConfig</c> do: known keys are
/// parsed strictly, every other key becomes the system property <c>zookeeper.&lt;key&gt;</c>
/// (overriding a -D of the same name, since Java calls System.setProperty), then the quorum
/// section, myid and the cross-checks.
/// </summary>
internal sealed class ZooCfgParser
{
    private const long UnsetServerId = -1;

    private readonly IReadOnlyDictionary<string, string> _cfg;
    private readonly IReadOnlyDictionary<string, string> _initialProperties;
    private readonly Dictionary<string, string> _properties;
    private readonly string _source;
    private readonly List<string> _unknown = [];
    private readonly List<string> _warnings = [];
    private readonly Dictionary<string, string> _metricsConfig = new(StringComparer.Ordinal);
    private ServerOptions _o = new();

    // Java keeps these as locals and only checks them after the loop.
    private int _clientPort, _secureClientPort;
    private string? _clientPortAddress, _secureClientPortAddress, _dataDir, _dataLogDir;
    private long _serverId = UnsetServerId;

    public ZooCfgParser(IReadOnlyDictionary<string, string> cfg, IReadOnlyDictionary<string, string> systemProperties, string source)
    {
        _cfg = cfg;
        _initialProperties = systemProperties;
        _properties = new Dictionary<string, string>(systemProperties, StringComparer.Ordinal);
        _source = source;
    }

    public ServerOptions Run()
    {
        // QuorumPeerConfig reads these properties when it is constructed, before zoo.cfg is applied.
        _o = _o with
        {
            MultiAddressEnabled = JavaText.ParseBoolean(_initialProperties.GetValueOrDefault("zookeeper.multiAddress.enabled", "false")),
            MultiAddressReachabilityCheckEnabled = JavaText.ParseBoolean(
                _initialProperties.GetValueOrDefault("zookeeper.multiAddress.reachabilityCheckEnabled", "true")),
            MultiAddressReachabilityCheckTimeoutMs = JavaText.TryParseInt(
                _initialProperties.GetValueOrDefault("zookeeper.multiAddress.reachabilityCheckTimeoutMs"), out int t) ? t : 1000,
        };

        foreach (var (key, value) in _cfg) Apply(JavaText.Trim(key), JavaText.Trim(value));
        CheckAfterLoop();

        string? dynamicFile = _o.DynamicConfigFile;
        if (dynamicFile is null) SetupQuorum(_cfg, backwardCompatible: true);
        else SetupQuorum(ReadDynamicConfig(dynamicFile), backwardCompatible: false);

        _o = _o with
        {
            ServerId = _serverId == UnsetServerId ? 0 : _serverId,
            MetricsProviderConfiguration = _metricsConfig,
        };
        _o = SystemPropertySettings.Apply(_o, _properties, _warnings);
        return _o with
        {
            SystemProperties = _properties,
            UnknownKeys = _unknown,
            Warnings = _warnings,
        };
    }

    private void Apply(string key, string value)
    {
        switch (key)
        {
            case "dataDir": _dataDir = value; return;
            case "dataLogDir": _dataLogDir = value; return;
            case "clientPort": _clientPort = Int(key, value); return;
            case "localSessionsEnabled": _o = _o with { LocalSessionsEnabled = Bool(key, value) }; return;
            case "localSessionsUpgradingEnabled": _o = _o with { LocalSessionsUpgradingEnabled = Bool(key, value) }; return;
            case "clientPortAddress": _clientPortAddress = value; return;
            case "secureClientPort": _secureClientPort = Int(key, value); return;
            case "secureClientPortAddress": _secureClientPortAddress = value; return;
            case "observerMasterPort": _o = _o with { ObserverMasterPort = Math.Max(0, Int(key, value)) }; return;
            case "clientPortListenBacklog": _o = _o with { ClientPortListenBacklog = Int(key, value) }; return;
            case "tickTime": _o = _o with { TickTime = Int(key, value) }; return;
            case "maxClientCnxns": _o = _o with { MaxClientCnxns = Int(key, value) }; return;
            case "minSessionTimeout": _o = _o with { MinSessionTimeout = Int(key, value) }; return;
            case "maxSessionTimeout": _o = _o with { MaxSessionTimeout = Int(key, value) }; return;
            case "initLimit": _o = _o with { InitLimit = Int(key, value) }; return;
            case "syncLimit": _o = _o with { SyncLimit = Int(key, value) }; return;
            case "connectToLearnerMasterLimit": _o = _o with { ConnectToLearnerMasterLimit = Int(key, value) }; return;
            case "electionAlg":
                if (Int(key, value) != 3) throw new ConfigException("Invalid electionAlg value. Only 3 is supported.", key);
                return;
            case "quorumListenOnAllIPs": _o = _o with { QuorumListenOnAllIPs = Bool(key, value) }; return;
            case "peerType":
                _o = _o with
                {
                    PeerType = value.ToLowerInvariant() switch
                    {
                        "observer" => LearnerType.Observer,
                        "participant" => LearnerType.Participant,
                        _ => throw new ConfigException("Unrecognised peertype: " + value, key),
                    },
                };
                return;
            case "syncEnabled": _o = _o with { SyncEnabled = Bool(key, value) }; return;
            case "dynamicConfigFile": _o = _o with { DynamicConfigFile = value }; return;
            case "autopurge.snapRetainCount": _o = _o with { AutopurgeSnapRetainCount = Int(key, value) }; return;
            case "autopurge.purgeInterval": _o = _o with { AutopurgePurgeInterval = Int(key, value) }; return;
            case "standaloneEnabled": _o = _o with { StandaloneEnabled = Bool(key, value) }; return;
            case "reconfigEnabled": _o = _o with { ReconfigEnabled = Bool(key, value) }; return;
            case "sslQuorum": _o = _o with { SslQuorum = Bool(key, value) }; return;
            case "portUnification": _o = _o with { PortUnification = Bool(key, value) }; return;
            case "sslQuorumReloadCertFiles": Bool(key, value); return;
        }

        if ((key.StartsWith("server.", StringComparison.Ordinal) || key.StartsWith("group", StringComparison.Ordinal)
             || key.StartsWith("weight", StringComparison.Ordinal)) && _cfg.ContainsKey("dynamicConfigFile"))
        {
            throw new ConfigException("parameter: " + key + " must be in a separate dynamic config file", key);
        }

        switch (key)
        {
            case "quorum.auth.enableSasl": _o = _o with { QuorumSaslEnabled = Bool(key, value) }; return;
            case "quorum.auth.serverRequireSasl": _o = _o with { QuorumServerRequireSasl = Bool(key, value) }; return;
            case "quorum.auth.learnerRequireSasl": _o = _o with { QuorumLearnerRequireSasl = Bool(key, value) }; return;
            case "quorum.auth.learner.saslLoginContext": _o = _o with { QuorumLearnerLoginContext = value }; return;
            case "quorum.auth.server.saslLoginContext": _o = _o with { QuorumServerLoginContext = value }; return;
            case "quorum.auth.kerberos.servicePrincipal": _o = _o with { QuorumServicePrincipal = value }; return;
            case "quorum.cnxn.threads.size": _o = _o with { QuorumCnxnThreadsSize = Int(key, value) }; return;
            // The JVM pause monitor has no .NET counterpart; the values are still checked like Java.
            case "jvm.pause.info-threshold.ms" or "jvm.pause.warn-threshold.ms" or "jvm.pause.sleep.time.ms": Long(key, value); return;
            case "jvm.pause.monitor": Bool(key, value); return;
            case "metricsProvider.className": _o = _o with { MetricsProviderClassName = value }; return;
            case "multiAddress.enabled": _o = _o with { MultiAddressEnabled = Bool(key, value) }; return;
            case "multiAddress.reachabilityCheckTimeoutMs": _o = _o with { MultiAddressReachabilityCheckTimeoutMs = Int(key, value) }; return;
            case "multiAddress.reachabilityCheckEnabled": _o = _o with { MultiAddressReachabilityCheckEnabled = Bool(key, value) }; return;
            case "oraclePath": _warnings.Add("oraclePath (QuorumOracleMaj) is not supported; ignored"); return;
        }

        if (key.StartsWith("metricsProvider.", StringComparison.Ordinal))
        {
            _metricsConfig[key["metricsProvider.".Length..]] = value;
            return;
        }

        string property = "zookeeper." + key;
        _properties[property] = value;
        if (!IsQuorumKey(key) && !SystemPropertySettings.IsKnown(property)) _unknown.Add(key);
    }

    private static bool IsQuorumKey(string key) =>
        key.StartsWith("server.", StringComparison.Ordinal) || key.StartsWith("group", StringComparison.Ordinal)
        || key.StartsWith("weight", StringComparison.Ordinal) || key == "version";

    private void CheckAfterLoop()
    {
        if (!_o.QuorumSaslEnabled && _o.QuorumServerRequireSasl)
            throw Wrapped("quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.serverRequireSasl", "quorum.auth.serverRequireSasl");
        if (!_o.QuorumSaslEnabled && _o.QuorumLearnerRequireSasl)
            throw Wrapped("quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.learnerRequireSasl", "quorum.auth.learnerRequireSasl");
        if (!_o.QuorumLearnerRequireSasl && _o.QuorumServerRequireSasl)
            throw Wrapped("quorum.auth.learnerRequireSasl is disabled, so cannot enable quorum.auth.serverRequireSasl", "quorum.auth.serverRequireSasl");

        if (_o.AutopurgeSnapRetainCount < 3)
        {
            _warnings.Add($"Invalid autopurge.snapRetainCount: {_o.AutopurgeSnapRetainCount}. Defaulting to 3");
            _o = _o with { AutopurgeSnapRetainCount = 3 };
        }

        if (_dataDir is null) throw Wrapped("dataDir is not set", "dataDir");
        _o = _o with { DataDir = _dataDir, DataLogDir = _dataLogDir ?? _dataDir };

        if (_clientPort == 0)
        {
            if (_clientPortAddress is not null)
                throw Wrapped("clientPortAddress is set but clientPort is not set", "clientPortAddress");
        }
        else
        {
            CheckPort(_clientPort, "clientPort");
        }
        if (_secureClientPort == 0)
        {
            if (_secureClientPortAddress is not null)
                throw Wrapped("secureClientPortAddress is set but secureClientPort is not set", "secureClientPortAddress");
        }
        else
        {
            CheckPort(_secureClientPort, "secureClientPort");
        }
        _o = _o with
        {
            ClientPort = _clientPort,
            ClientPortAddress = _clientPort == 0 ? null : _clientPortAddress,
            SecureClientPort = _secureClientPort,
            SecureClientPortAddress = _secureClientPort == 0 ? null : _secureClientPortAddress,
        };

        if (_o.TickTime == 0) throw Wrapped("tickTime is not set", "tickTime");
        if (_o.EffectiveMinSessionTimeout > _o.EffectiveMaxSessionTimeout)
            throw Wrapped("minSessionTimeout must not be larger than maxSessionTimeout", "minSessionTimeout");

        // Java loads the class by name; only the providers this server implements exist here.
        if (_o.MetricsProviderClassName is not (ServerOptions.DefaultMetricsProvider or ServerOptions.PrometheusMetricsProvider))
            throw Wrapped("metrics provider class was not found", "metricsProvider.className");
        // Java's provider parses its numbers as it starts, before anything else: a bad one stops the server.
        if (_o.MetricsProviderClassName == ServerOptions.PrometheusMetricsProvider) Metrics.PrometheusMetricsOptions.Parse(_metricsConfig);
    }

    private void CheckPort(int port, string key)
    {
        if (port is < 0 or > 0xFFFF) throw Wrapped("port out of range:" + port, key);
    }

    private IReadOnlyDictionary<string, string> ReadDynamicConfig(string path)
    {
        Dictionary<string, string> dynamic;
        try
        {
            dynamic = JavaProperties.Load(File.ReadAllText(path, System.Text.Encoding.Latin1));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ConfigException)
        {
            throw new ConfigException($"Error processing {path}: {e.Message}", "dynamicConfigFile", e);
        }
        if (dynamic.ContainsKey("version")) throw new ConfigException("dynamic file shouldn't have version inside", "dynamicConfigFile");
        // zoo.cfg.dynamic.100000000 carries its version in the name.
        int dot = path.LastIndexOf('.');
        if (dot >= 0 && JavaText.TryParseLong(path[(dot + 1)..], 16, out long version))
            dynamic["version"] = version.ToString("x", CultureInfo.InvariantCulture);
        return dynamic;
    }

    private void SetupQuorum(IReadOnlyDictionary<string, string> props, bool backwardCompatible)
    {
        var servers = new SortedDictionary<long, QuorumServerSpec>();
        var groups = new SortedDictionary<long, IReadOnlyList<long>>();
        var serverGroup = new Dictionary<long, long>();
        var weights = new SortedDictionary<long, long>();
        bool hierarchical = false;
        long version = 0;
        // Java decides on server lines from the system property, not zoo.cfg's multiAddress.enabled.
        bool multiAddress = JavaText.ParseBoolean(_properties.GetValueOrDefault("zookeeper.multiAddress.enabled", "false"));

        foreach (var (rawKey, _) in props)
        {
            string key = JavaText.Trim(rawKey);
            if (key.StartsWith("group", StringComparison.Ordinal) || key.StartsWith("weight", StringComparison.Ordinal))
                hierarchical = true;
            else if (!backwardCompatible && !key.StartsWith("server.", StringComparison.Ordinal) && key != "version")
                throw new ConfigException("Unrecognised parameter: " + key, key);
        }

        foreach (var (rawKey, rawValue) in props)
        {
            string key = JavaText.Trim(rawKey);
            // Java does not trim here; trailing blanks (a classic zoo.cfg trap) are forgiven.
            string value = JavaText.Trim(rawValue);
            if (key.StartsWith("server.", StringComparison.Ordinal))
            {
                long sid = Long(key, key[(key.IndexOf('.') + 1)..]);
                servers[sid] = QuorumServerParser.Parse(sid, value, multiAddress);
            }
            else if (hierarchical && key.StartsWith("group", StringComparison.Ordinal))
            {
                long gid = Long(key, key[(key.IndexOf('.') + 1)..]);
                var members = new List<long>();
                foreach (string part in JavaText.Split(value, ':'))
                {
                    long sid = Long(key, part);
                    if (!serverGroup.TryAdd(sid, gid)) throw new ConfigException($"Server {sid}is in multiple groups", key);
                    members.Add(sid);
                }
                groups[gid] = members;
            }
            else if (hierarchical && key.StartsWith("weight", StringComparison.Ordinal))
            {
                weights[Long(key, key[(key.IndexOf('.') + 1)..])] = Long(key, value);
            }
            else if (key == "version")
            {
                if (!JavaText.TryParseLong(value, 16, out version)) throw Wrapped($"For input string: \"{value}\" ({key})", key);
            }
        }

        var voters = servers.Values.Where(s => s.IsParticipant).ToList();
        if (hierarchical)
        {
            foreach (var s in voters)
            {
                if (!serverGroup.ContainsKey(s.Id)) throw new ConfigException($"Server {s.Id}is not in a group", "server." + s.Id);
                weights.TryAdd(s.Id, 1);
            }
        }

        int observers = servers.Count - voters.Count;
        if (voters.Count == 0)
        {
            if (!_o.StandaloneEnabled)
                throw Wrapped("standaloneEnabled = false then number of participants should be >0", "standaloneEnabled");
            if (observers > 0) throw Wrapped("Observers w/o participants is an invalid configuration", "server");
        }
        else if (voters.Count == 1 && _o.StandaloneEnabled)
        {
            // Java ignores a lone server line (HBase writes one) and runs standalone.
            _warnings.Add("Invalid configuration, only one server specified (ignoring)");
            if (observers > 0) throw Wrapped("Observers w/o quorum is an invalid configuration", "server");
        }
        else if (voters.Count <= 2)
        {
            _warnings.Add("No server failure will be tolerated. You need at least 3 servers.");
        }
        else if (voters.Count % 2 == 0)
        {
            _warnings.Add("Non-optimal configuration, consider an odd number of servers.");
        }

        _o = _o with
        {
            Servers = [.. servers.Values],
            QuorumConfigVersion = version,
            QuorumGroups = groups,
            QuorumWeights = hierarchical ? weights : new SortedDictionary<long, long>(),
        };

        SetupMyId();
        SetupClientPort();
        SetupPeerType();
        CheckValidity();
    }

    private void SetupMyId()
    {
        string path = Path.Combine(_o.DataDir, "myid");
        // A standalone server needs no myid file.
        if (!File.Exists(path)) return;
        string? line;
        using (var reader = new StreamReader(path))
            line = reader.ReadLine();
        if (!JavaText.TryParseLong(line, 10, out long id))
            throw Wrapped($"serverid {line ?? "null"} is not a number", "myid");
        _serverId = id;
    }

    private void SetupClientPort()
    {
        if (_serverId == UnsetServerId) return;
        var self = _o.Servers.FirstOrDefault(s => s.Id == _serverId);
        if (self?.ClientPort is not { } dynamicPort) return;
        string dynamicHost = self.ClientHost ?? "0.0.0.0";
        if (_o.ClientPort != 0)
        {
            bool wildcard = _o.ClientPortAddress is null or "0.0.0.0" or "::" or "0:0:0:0:0:0:0:0";
            bool differs = wildcard
                ? _o.ClientPort != dynamicPort
                : _o.ClientPortAddress != dynamicHost || _o.ClientPort != dynamicPort;
            if (differs)
            {
                throw new ConfigException(
                    $"client address for this server (id = {_serverId}) in static config file is "
                    + $"{_o.ClientPortAddress ?? "0.0.0.0"}:{_o.ClientPort} is different from client address found in dynamic file: "
                    + $"{dynamicHost}:{dynamicPort}", "clientPort");
            }
        }
        // The server line's client address wins, as in Java.
        _o = _o with { ClientPort = dynamicPort, ClientPortAddress = self.ClientHost == "0.0.0.0" ? null : self.ClientHost };
    }

    private void SetupPeerType()
    {
        var byList = _o.Servers.Any(s => s.Id == _serverId && !s.IsParticipant) ? LearnerType.Observer : LearnerType.Participant;
        if (byList == _o.PeerType) return;
        _warnings.Add($"Peer type from servers list ({byList}) doesn't match peerType ({_o.PeerType}). Defaulting to servers list.");
        _o = _o with { PeerType = byList };
    }

    private void CheckValidity()
    {
        if (!_o.IsDistributed) return;
        if (_o.InitLimit == 0) throw Wrapped("initLimit is not set", "initLimit");
        if (_o.SyncLimit == 0) throw Wrapped("syncLimit is not set", "syncLimit");
        if (_serverId == UnsetServerId) throw Wrapped("myid file is missing", "myid");
    }

    // Java lets IllegalArgumentException (NumberFormatException included) escape parseProperties
    // and wraps it as "Error processing <file>"; ConfigExceptions are thrown as they are.
    private ConfigException Wrapped(string detail, string key) => new($"Error processing {_source}: {detail}", key);

    private int Int(string key, string value) =>
        JavaText.TryParseInt(value, out int v) ? v : throw Wrapped($"For input string: \"{value}\" ({key})", key);

    private long Long(string key, string value) =>
        JavaText.TryParseLong(value, 10, out long v) ? v : throw Wrapped($"For input string: \"{value}\" ({key})", key);

    private static bool Bool(string key, string value)
    {
        if (value.Equals("true", StringComparison.OrdinalIgnoreCase)) return true;
        if (value.Equals("false", StringComparison.OrdinalIgnoreCase)) return false;
        throw new ConfigException($"Invalid option {value} for {key}. Choose 'true' or 'false.'", key);
    }
}
