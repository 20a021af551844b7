using ZkCompat.Server.Auth;
using ZkCompat.Server.Auth.Sasl;

namespace ZkCompat.Server.Config;

/// <summary>
/// The settings Java reads from system properties (scattered over static initialisers there),
/// resolved once with the same parsing: <c>Integer.getInteger</c> falls back to the default on a
/// bad value, <c>Boolean.getBoolean</c> is true only for "true", and a few use an exact-string test.
/// </summary>
internal static class SystemPropertySettings
{
    /// <summary>Every command Java's FourLetterCommands knows; "*" in the whitelist enables them all.</summary>
    public static readonly IReadOnlyList<string> AllFourLetterWords =
    [
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat",
        "wchc", "wchp", "wchs", "mntr", "isro", "telnet close", "hash",
    ];

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "zookeeper.4lw.commands.whitelist", "zookeeper.globalOutstandingLimit",
        "zookeeper.DigestAuthenticationProvider.superDigest", "zookeeper.DigestAuthenticationProvider.enabled",
        "zookeeper.DigestAuthenticationProvider.digestAlg", "zookeeper.skipACL", "zookeeper.enforceQuota",
        "zookeeper.digest.enabled", "zookeeper.closeSessionTxn.enabled", "zookeeper.extendedTypesEnabled",
        "zookeeper.emulate353TTLNodes", "zookeeper.snapCount", "zookeeper.snapSizeLimitInKb", "zookeeper.preAllocSize",
        "zookeeper.forceSync", "zookeeper.fsync.warningthresholdms", "zookeeper.maxCnxns",
        "zookeeper.nio.sessionlessCnxnTimeout", "zookeeper.datadir.autocreate", "zookeeper.jute.maxbuffer.extrasize",
        "zookeeper.admin.enableServer", "zookeeper.admin.serverAddress", "zookeeper.admin.serverPort",
        "zookeeper.admin.commandURL", "zookeeper.admin.idleTimeout", "zookeeper.multiAddress.enabled",
        "zookeeper.multiAddress.reachabilityCheckEnabled", "zookeeper.multiAddress.reachabilityCheckTimeoutMs",
        "zookeeper.forceSnapshotSync", "zookeeper.fastleader.minNotificationInterval", "zookeeper.fastleader.maxNotificationInterval",
        "zookeeper.sasl.serverconfig", "zookeeper.allowSaslFailedClients", "zookeeper.enforce.auth.enabled",
        "zookeeper.enforce.auth.schemes", "zookeeper.sessionRequireClientSASLAuth", "zookeeper.superUser",
        "zookeeper.SASLAuthenticationProvider.superPassword", "zookeeper.letAnySaslUserDoX",
    };

    /// <summary>Whether the server reads this property (zoo.cfg keys mapping elsewhere are "unknown").</summary>
    public static bool IsKnown(string property) =>
        Known.Contains(property) || property.StartsWith("zookeeper.authProvider.", StringComparison.Ordinal)
        || property.StartsWith("zookeeper.superUser.", StringComparison.Ordinal)
        || ClientTlsOptions.PropertyNames.Contains(property);

    public static ServerOptions Apply(ServerOptions o, IReadOnlyDictionary<string, string> p, List<string> warnings)
    {
        string? Get(string name) => p.GetValueOrDefault(name);
        int GetInt(string name, int fallback) => JavaText.TryDecodeInt(Get(name), out int v) ? v : fallback;
        long GetLong(string name, long fallback) => JavaText.TryDecodeLong(Get(name), out long v) ? v : fallback;

        int maxBuffer = GetInt("jute.maxbuffer", 0xfffff);
        int snapCount = GetInt("zookeeper.snapCount", 100000);
        if (snapCount < 2)
        {
            warnings.Add("SnapCount should be 2 or more. Now, snapCount is reset to 2");
            snapCount = 2;
        }

        long preAllocKb = 65536;
        if (Get("zookeeper.preAllocSize") is { } preAlloc)
        {
            // FilePadding uses Long.parseLong here, not Long.decode.
            if (JavaText.TryParseLong(preAlloc, 10, out long kb)) preAllocKb = kb;
            else warnings.Add($"{preAlloc} is not a valid value for preAllocSize");
        }

        string digestAlgorithm = Get("zookeeper.DigestAuthenticationProvider.digestAlg") ?? "SHA1";
        if (!DigestAuth.IsSupportedAlgorithm(digestAlgorithm))
        {
            throw new ConfigException(
                $"don't support this ACL digest algorithm: {digestAlgorithm} in the current environment",
                "zookeeper.DigestAuthenticationProvider.digestAlg");
        }

        bool extendedTypes = JavaText.ParseBoolean(Get("zookeeper.extendedTypesEnabled"));
        var authProviders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in p)
        {
            if (name.StartsWith("zookeeper.authProvider.", StringComparison.Ordinal))
                authProviders[name["zookeeper.authProvider.".Length..]] = value;
        }

        o = o with
        {
            FourLetterWordWhitelist = FourLetterWords(Get("zookeeper.4lw.commands.whitelist"), Get("readonlymode.enabled")),
            JuteMaxBuffer = maxBuffer,
            // Java never lets the extra allowance drop below the 1024 bytes it used to hard-code.
            JuteMaxBufferExtra = Math.Max(1024, GetInt("zookeeper.jute.maxbuffer.extrasize", maxBuffer)),
            GlobalOutstandingLimit = GetInt("zookeeper.globalOutstandingLimit", 1000),
            ReadOnlyModeEnabled = JavaText.ParseBoolean(Get("readonlymode.enabled")),
            SuperDigest = Get("zookeeper.DigestAuthenticationProvider.superDigest"),
            DigestAuthEnabled = JavaText.ParseBoolean(Get("zookeeper.DigestAuthenticationProvider.enabled") ?? "true"),
            DigestAlgorithm = digestAlgorithm,
            AuthProviderClasses = authProviders,
            SkipAcl = Get("zookeeper.skipACL") == "yes",
            EnforceQuota = JavaText.ParseBoolean(Get("zookeeper.enforceQuota")),
            TreeDigestEnabled = JavaText.ParseBoolean(Get("zookeeper.digest.enabled") ?? "true"),
            CloseSessionTxnEnabled = JavaText.ParseBoolean(Get("zookeeper.closeSessionTxn.enabled") ?? "true"),
            ExtendedTypesEnabled = extendedTypes,
            Emulate353TtlNodes = JavaText.ParseBoolean(Get("zookeeper.emulate353TTLNodes")),
            ContainerCheckIntervalMs = GetInt("znode.container.checkIntervalMs", 60000),
            ContainerMaxPerMinute = GetInt("znode.container.maxPerMinute", 10000),
            ContainerMaxNeverUsedIntervalMs = GetLong("znode.container.maxNeverUsedIntervalMs", 0),
            SnapCount = snapCount,
            SnapSizeLimitInKb = GetLong("zookeeper.snapSizeLimitInKb", 4194304),
            PreAllocSizeKb = preAllocKb,
            ForceSync = Get("zookeeper.forceSync") != "no",
            FsyncWarningThresholdMs = JavaText.TryDecodeLong(Get("zookeeper.fsync.warningthresholdms"), out long fsync)
                ? fsync
                : GetLong("fsync.warningthresholdms", 1000),
            MaxCnxns = GetInt("zookeeper.maxCnxns", 0),
            SessionlessCnxnTimeoutMs = GetInt("zookeeper.nio.sessionlessCnxnTimeout", 10000),
            DataDirAutoCreate = JavaText.ParseBoolean(Get("zookeeper.datadir.autocreate") ?? "true"),
            AdminEnableServer = Get("zookeeper.admin.enableServer") != "false",
            AdminServerAddress = Get("zookeeper.admin.serverAddress") ?? "0.0.0.0",
            AdminServerPort = GetInt("zookeeper.admin.serverPort", 8080),
            AdminCommandUrl = Get("zookeeper.admin.commandURL") ?? "/commands",
            AdminIdleTimeoutMs = GetInt("zookeeper.admin.idleTimeout", 30000),
            ForceSnapshotSync = JavaText.ParseBoolean(Get("zookeeper.forceSnapshotSync")),
            MinNotificationIntervalMs = GetInt("zookeeper.fastleader.minNotificationInterval", 200),
            MaxNotificationIntervalMs = GetInt("zookeeper.fastleader.maxNotificationInterval", 60000),
            ServerCnxnFactory = Get("zookeeper.serverCnxnFactory") ?? ServerOptions.NioServerCnxnFactory,
            ClientTls = ClientTlsOptions.FromProperties(p),
        };
        // Only a server that reads the stores (a secure port, or x509 ACLs) needs a reader for their type.
        if (o.SecureClientPort != 0 || authProviders.ContainsValue(X509AuthenticationProvider.JavaClassName))
            o.ClientTls.CheckSupportedStoreTypes();
        o = ApplySasl(o, p, warnings);

        if (extendedTypes && o.SessionTrackerServerId > ServerOptions.MaxExtendedServerId)
        {
            throw new ConfigException(
                "extendedTypesEnabled is true but Server ID is too large. Cannot be larger than " + ServerOptions.MaxExtendedServerId,
                "myid");
        }
        return o;
    }

    /// <summary>
    /// SASL on client connections: the JAAS file (read now; a file that cannot be read or parsed stops
    /// the server, as it stops Java's), the failed-client switch and the enforcement settings, which
    /// must name schemes that have a provider.
    /// </summary>
    private static ServerOptions ApplySasl(ServerOptions o, IReadOnlyDictionary<string, string> p, List<string> warnings)
    {
        string? jaasFile = p.GetValueOrDefault("java.security.auth.login.config");
        string? sectionProperty = p.GetValueOrDefault("zookeeper.sasl.serverconfig");
        string section = sectionProperty ?? "Server";
        JaasConfiguration? jaas = null;
        if (jaasFile is not null)
        {
            try
            {
                jaas = JaasConfiguration.Load(jaasFile, name => JavaSystemProperty(p, name));
            }
            catch (JaasConfigurationException e)
            {
                string message = $"No JAAS configuration section named '{section}' was found in '{jaasFile}'.";
                if (sectionProperty is not null) message += " But zookeeper.sasl.serverconfig was set.";
                throw new ConfigException(message + " (" + e.Message + ")", "java.security.auth.login.config", e);
            }
        }
        var schemes = new List<string>();
        if (p.GetValueOrDefault("zookeeper.enforce.auth.schemes") is { } list)
        {
            foreach (string scheme in JavaText.Split(list, ',')) schemes.Add(JavaText.Trim(scheme));
        }
        o = o with
        {
            JaasConfigFile = jaasFile,
            JaasConfiguration = jaas,
            SaslServerSection = section,
            AllowSaslFailedClients = JavaText.ParseBoolean(p.GetValueOrDefault("zookeeper.allowSaslFailedClients")),
            EnforceAuthEnabled = JavaText.ParseBoolean(p.GetValueOrDefault("zookeeper.enforce.auth.enabled")),
            EnforceAuthSchemes = schemes,
            SessionRequireClientSaslAuth = JavaText.ParseBoolean(p.GetValueOrDefault("zookeeper.sessionRequireClientSASLAuth")),
        };
        _ = SaslLogin.FromOptions(o, warnings);
        var providers = AuthenticationProviders.FromOptions(o);
        if (AuthenticationHelper.FromOptions(o).Validate(scheme => providers.Get(scheme) is not null) is { } problem)
            throw new ConfigException(problem, "zookeeper.enforce.auth.enabled");
        return o;
    }

    // ${name} in a JAAS file: the -D properties, then the JVM's own that a JAAS file may use.
    private static string? JavaSystemProperty(IReadOnlyDictionary<string, string> p, string name) =>
        p.GetValueOrDefault(name) ?? name switch
        {
            "user.home" => Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
            "user.dir" => Environment.CurrentDirectory,
            "user.name" => Environment.UserName,
            "java.io.tmpdir" => Path.GetTempPath().TrimEnd(Path.DirectorySeparatorChar),
            "file.separator" => Path.DirectorySeparatorChar.ToString(),
            "path.separator" => Path.PathSeparator.ToString(),
            "line.separator" => Environment.NewLine,
            _ => null,
        };

    /// <summary>FourLetterCommands.isEnabled's whitelist: comma list, "*" ⇒ all, srvr always, isro in read-only mode.</summary>
    public static IReadOnlySet<string> FourLetterWords(string? whitelist, string? readOnlyMode)
    {
        var enabled = new HashSet<string>(StringComparer.Ordinal);
        if (whitelist is not null)
        {
            foreach (string entry in JavaText.Split(whitelist, ','))
            {
                string command = JavaText.Trim(entry);
                if (command == "*")
                {
                    enabled.UnionWith(AllFourLetterWords);
                    break;
                }
                if (command.Length > 0) enabled.Add(command);
            }
        }
        // Exact "true" here, unlike the case-insensitive test QuorumPeer uses for the same property.
        if (readOnlyMode == "true") enabled.Add("isro");
        // zkServer.sh status depends on srvr.
        enabled.Add("srvr");
        return enabled;
    }
}
