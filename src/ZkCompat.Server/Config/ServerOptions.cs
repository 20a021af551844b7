using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Config;

/// <summary>
/// Every setting the server reads, fixed at startup. Built by <see cref="ConfigLoader"/> from zoo.cfg,
/// myid and the Java system properties (<c>-D</c>); each default is Java 3.8's. Settings Java reads from
/// a system property are resolved here once; anything rarer can be read from <see cref="SystemProperties"/>
/// through <see cref="GetInt32Property"/> and friends, which follow Java's parsing rules.
/// </summary>
public sealed record ServerOptions
{
    public const string DefaultMetricsProvider = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider";
    public const string PrometheusMetricsProvider = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

    /// <summary>Java's <c>ZooKeeperServer.DEFAULT_TICK_TIME</c>, used when zoo.cfg has no tickTime.</summary>
    public const int DefaultTickTime = 3000;

    /// <summary>Extended ephemeral types reserve the 0xFF high byte of session ids.</summary>
    public const long MaxExtendedServerId = 0xFE;

    private readonly string? _dataLogDir;

    // ---- where it came from -------------------------------------------------------------------

    /// <summary>The zoo.cfg path given on the command line; null for the embedded default.</summary>
    public string? ConfigFile { get; init; }

    public string? ConfigDirectory { get; init; }

    /// <summary>The configuration text as read (Java's <c>initialConfig</c>).</summary>
    public string? InitialConfig { get; init; }

    /// <summary>zoo.cfg keys that meant nothing to the server; stored as <c>zookeeper.&lt;key&gt;</c> like Java.</summary>
    public IReadOnlyList<string> UnknownKeys { get; init; } = [];

    /// <summary>Values Java silently corrects or ignores (say so in the log).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>All system properties: SERVER_JVMFLAGS, then -D arguments, then zoo.cfg's unknown keys.</summary>
    public IReadOnlyDictionary<string, string> SystemProperties { get; init; } = new Dictionary<string, string>();

    // ---- storage ------------------------------------------------------------------------------

    public string DataDir { get; init; } = "";

    /// <summary>The transaction log directory; the data directory unless configured.</summary>
    public string DataLogDir { get => _dataLogDir ?? DataDir; init => _dataLogDir = value; }

    /// <summary><c>zookeeper.datadir.autocreate</c>: create missing data directories.</summary>
    public bool DataDirAutoCreate { get; init; } = true;

    /// <summary><c>zookeeper.snapCount</c> (never below 2).</summary>
    public int SnapCount { get; init; } = 100000;

    /// <summary><c>zookeeper.snapSizeLimitInKb</c>: snapshot after this many KB of log (≤ 0 disables).</summary>
    public long SnapSizeLimitInKb { get; init; } = 4194304;

    /// <summary><c>zookeeper.preAllocSize</c>, in KB: the txn log grows in steps of this size.</summary>
    public long PreAllocSizeKb { get; init; } = 65536;

    public long PreAllocSizeBytes => PreAllocSizeKb * 1024;

    /// <summary><c>zookeeper.forceSync</c>: fsync the txn log (only the exact value "no" disables it).</summary>
    public bool ForceSync { get; init; } = true;

    /// <summary><c>zookeeper.fsync.warningthresholdms</c>.</summary>
    public long FsyncWarningThresholdMs { get; init; } = 1000;

    public int AutopurgeSnapRetainCount { get; init; } = 3;

    /// <summary>Hours between purges; 0 disables.</summary>
    public int AutopurgePurgeInterval { get; init; }

    // ---- client port --------------------------------------------------------------------------

    public int TickTime { get; init; } = DefaultTickTime;

    /// <summary>0 when not configured (then there is no plain client listener, as in Java).</summary>
    public int ClientPort { get; init; }

    /// <summary>The address to bind; null means every interface.</summary>
    public string? ClientPortAddress { get; init; }

    public int SecureClientPort { get; init; }
    public string? SecureClientPortAddress { get; init; }

    public const string NioServerCnxnFactory = "org.apache.zookeeper.server.NIOServerCnxnFactory";
    public const string NettyServerCnxnFactory = "org.apache.zookeeper.server.NettyServerCnxnFactory";

    /// <summary><c>zookeeper.serverCnxnFactory</c>: Java refuses a secure client port with the NIO one (the default).</summary>
    public string ServerCnxnFactory { get; init; } = NioServerCnxnFactory;

    /// <summary>The secure client port's TLS settings (<c>zookeeper.ssl.*</c>).</summary>
    public ClientTlsOptions ClientTls { get; init; } = new();

    /// <summary>-1: the OS default backlog.</summary>
    public int ClientPortListenBacklog { get; init; } = -1;

    /// <summary>Connections per client IP; 0 = unlimited.</summary>
    public int MaxClientCnxns { get; init; } = 60;

    /// <summary><c>zookeeper.maxCnxns</c>: connections in total; 0 = unlimited.</summary>
    public int MaxCnxns { get; init; }

    /// <summary><c>zookeeper.nio.sessionlessCnxnTimeout</c>: ms a connection may stay without a session.</summary>
    public int SessionlessCnxnTimeoutMs { get; init; } = 10000;

    /// <summary>As configured; -1 means 2 × tickTime (see <see cref="EffectiveMinSessionTimeout"/>).</summary>
    public int MinSessionTimeout { get; init; } = -1;

    /// <summary>As configured; -1 means 20 × tickTime.</summary>
    public int MaxSessionTimeout { get; init; } = -1;

    public int EffectiveMinSessionTimeout => MinSessionTimeout == -1 ? TickTime * 2 : MinSessionTimeout;
    public int EffectiveMaxSessionTimeout => MaxSessionTimeout == -1 ? TickTime * 20 : MaxSessionTimeout;

    public bool LocalSessionsEnabled { get; init; }
    public bool LocalSessionsUpgradingEnabled { get; init; }

    /// <summary><c>zookeeper.4lw.commands.whitelist</c>, expanded ("*" ⇒ every command); always has srvr.</summary>
    public IReadOnlySet<string> FourLetterWordWhitelist { get; init; } = new HashSet<string>(StringComparer.Ordinal) { "srvr" };

    public bool IsFourLetterWordEnabled(string command) => FourLetterWordWhitelist.Contains(command);

    /// <summary><c>jute.maxbuffer</c>: the largest frame and field accepted.</summary>
    public int JuteMaxBuffer { get; init; } = 0xfffff;

    /// <summary><c>zookeeper.jute.maxbuffer.extrasize</c> (defaults to JuteMaxBuffer, never below 1024).</summary>
    public int JuteMaxBufferExtra { get; init; } = 0xfffff;

    /// <summary><c>zookeeper.globalOutstandingLimit</c>: stop reading clients beyond this many queued requests.</summary>
    public int GlobalOutstandingLimit { get; init; } = 1000;

    /// <summary><c>zookeeper.forceSnapshotSync</c>: the leader syncs every learner with SNAP.</summary>
    public bool ForceSnapshotSync { get; init; }

    /// <summary><c>zookeeper.fastleader.minNotificationInterval</c> (ms).</summary>
    public int MinNotificationIntervalMs { get; init; } = 200;

    /// <summary><c>zookeeper.fastleader.maxNotificationInterval</c> (ms).</summary>
    public int MaxNotificationIntervalMs { get; init; } = 60000;

    /// <summary><c>readonlymode.enabled</c>.</summary>
    public bool ReadOnlyModeEnabled { get; init; }

    // ---- auth and data tree -------------------------------------------------------------------

    /// <summary><c>zookeeper.DigestAuthenticationProvider.superDigest</c> ("super:base64sha1").</summary>
    public string? SuperDigest { get; init; }

    /// <summary><c>zookeeper.DigestAuthenticationProvider.enabled</c>.</summary>
    public bool DigestAuthEnabled { get; init; } = true;

    /// <summary><c>zookeeper.DigestAuthenticationProvider.digestAlg</c>.</summary>
    public string DigestAlgorithm { get; init; } = "SHA1";

    /// <summary><c>zookeeper.authProvider.*</c> entries (scheme key → Java class name), for sasl/x509 wiring.</summary>
    public IReadOnlyDictionary<string, string> AuthProviderClasses { get; init; } = new Dictionary<string, string>();

    // ---- SASL on client connections ----------------------------------------------------------

    /// <summary><c>java.security.auth.login.config</c>: the JAAS file, as given.</summary>
    public string? JaasConfigFile { get; init; }

    /// <summary>The JAAS file read at startup; null when none was given.</summary>
    public Auth.Sasl.JaasConfiguration? JaasConfiguration { get; init; }

    /// <summary><c>zookeeper.sasl.serverconfig</c>: the JAAS section of the server's login.</summary>
    public string SaslServerSection { get; init; } = "Server";

    /// <summary><c>zookeeper.allowSaslFailedClients</c>: a failed SASL exchange does not close the connection.</summary>
    public bool AllowSaslFailedClients { get; init; }

    /// <summary><c>zookeeper.enforce.auth.enabled</c>.</summary>
    public bool EnforceAuthEnabled { get; init; }

    /// <summary><c>zookeeper.enforce.auth.schemes</c>, split at ',' and trimmed.</summary>
    public IReadOnlyList<string> EnforceAuthSchemes { get; init; } = [];

    /// <summary><c>zookeeper.sessionRequireClientSASLAuth</c>: enforcement with the scheme "sasl" alone.</summary>
    public bool SessionRequireClientSaslAuth { get; init; }

    /// <summary><c>zookeeper.skipACL</c> == "yes".</summary>
    public bool SkipAcl { get; init; }

    /// <summary><c>zookeeper.enforceQuota</c>.</summary>
    public bool EnforceQuota { get; init; }

    /// <summary><c>zookeeper.digest.enabled</c>: maintain and log the data tree digest.</summary>
    public bool TreeDigestEnabled { get; init; } = true;

    /// <summary><c>zookeeper.closeSessionTxn.enabled</c>: closeSession txns list the ephemerals to delete.</summary>
    public bool CloseSessionTxnEnabled { get; init; } = true;

    /// <summary><c>zookeeper.extendedTypesEnabled</c>: TTL nodes.</summary>
    public bool ExtendedTypesEnabled { get; init; }

    /// <summary><c>zookeeper.emulate353TTLNodes</c>.</summary>
    public bool Emulate353TtlNodes { get; init; }

    /// <summary><c>znode.container.checkIntervalMs</c>.</summary>
    public int ContainerCheckIntervalMs { get; init; } = 60000;

    /// <summary><c>znode.container.maxPerMinute</c>.</summary>
    public int ContainerMaxPerMinute { get; init; } = 10000;

    /// <summary><c>znode.container.maxNeverUsedIntervalMs</c>; 0 = never-used containers are kept.</summary>
    public long ContainerMaxNeverUsedIntervalMs { get; init; }

    // ---- quorum -------------------------------------------------------------------------------

    /// <summary>The myid file's number; 0 when there is none.</summary>
    public long ServerId { get; init; }

    /// <summary>The server id in session ids: myid in a quorum, 1 for a standalone server (as Java).</summary>
    public long SessionTrackerServerId => IsDistributed ? ServerId : 1;

    public int InitLimit { get; init; }
    public int SyncLimit { get; init; }
    public int ConnectToLearnerMasterLimit { get; init; }
    public int ElectionAlg { get; init; } = 3;
    public bool QuorumListenOnAllIPs { get; init; }
    public int ObserverMasterPort { get; init; }
    public bool SyncEnabled { get; init; } = true;
    public LearnerType PeerType { get; init; } = LearnerType.Participant;

    /// <summary>Every server.N line, participants and observers, ordered by id.</summary>
    public IReadOnlyList<QuorumServerSpec> Servers { get; init; } = [];

    /// <summary>The quorum config version (zoo.cfg/dynamic file "version", hex); 0 when absent.</summary>
    public long QuorumConfigVersion { get; init; }

    /// <summary>group.N / weight.N lines of a hierarchical quorum (empty for a majority quorum).</summary>
    public IReadOnlyDictionary<long, IReadOnlyList<long>> QuorumGroups { get; init; } = new Dictionary<long, IReadOnlyList<long>>();

    public IReadOnlyDictionary<long, long> QuorumWeights { get; init; } = new Dictionary<long, long>();

    public bool IsHierarchicalQuorum => QuorumGroups.Count > 0 || QuorumWeights.Count > 0;

    public string? DynamicConfigFile { get; init; }
    public bool StandaloneEnabled { get; init; } = true;
    public bool ReconfigEnabled { get; init; }
    public bool MultiAddressEnabled { get; init; }
    public bool MultiAddressReachabilityCheckEnabled { get; init; } = true;
    public int MultiAddressReachabilityCheckTimeoutMs { get; init; } = 1000;

    public bool QuorumSaslEnabled { get; init; }
    public bool QuorumServerRequireSasl { get; init; }
    public bool QuorumLearnerRequireSasl { get; init; }
    public string QuorumServicePrincipal { get; init; } = "zkquorum/localhost";
    public string QuorumLearnerLoginContext { get; init; } = "QuorumLearner";
    public string QuorumServerLoginContext { get; init; } = "QuorumServer";
    public int QuorumCnxnThreadsSize { get; init; }
    public bool SslQuorum { get; init; }
    public bool PortUnification { get; init; }

    /// <summary>Java's <c>isDistributed</c>: more than one voter, or standalone mode disabled.</summary>
    public bool IsDistributed => !StandaloneEnabled || Servers.Count(s => s.IsParticipant) > 1;

    /// <summary>This server's own line, when there is one.</summary>
    public QuorumServerSpec? Self => Servers.FirstOrDefault(s => s.Id == ServerId);

    /// <summary>The quorum config text as Java writes it (server.N lines then version=hex, no final newline).</summary>
    public string QuorumConfigText()
    {
        var sb = new StringBuilder();
        foreach (var s in Servers)
            sb.Append("server.").Append(s.Id.ToString(CultureInfo.InvariantCulture)).Append('=').Append(s.ToConfigValue()).Append('\n');
        sb.Append("version=").Append(QuorumConfigVersion.ToString("x", CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    // ---- admin and metrics --------------------------------------------------------------------

    /// <summary><c>zookeeper.admin.enableServer</c> (only "false" disables).</summary>
    public bool AdminEnableServer { get; init; } = true;

    public string AdminServerAddress { get; init; } = "0.0.0.0";
    public int AdminServerPort { get; init; } = 8080;
    public string AdminCommandUrl { get; init; } = "/commands";
    public int AdminIdleTimeoutMs { get; init; } = 30000;

    public string MetricsProviderClassName { get; init; } = DefaultMetricsProvider;

    /// <summary><c>metricsProvider.*</c> keys with the prefix removed (httpPort, exportJvmInfo, ...).</summary>
    public IReadOnlyDictionary<string, string> MetricsProviderConfiguration { get; init; } = new Dictionary<string, string>();

    // ---- raw system properties, with Java's reading rules -------------------------------------

    public string? GetProperty(string name) => SystemProperties.GetValueOrDefault(name);

    /// <summary><c>Integer.getInteger</c>: decimal, 0x/# hex or 0-octal; anything unparsable gives the default.</summary>
    public int GetInt32Property(string name, int defaultValue) =>
        JavaText.TryDecodeInt(GetProperty(name), out int v) ? v : defaultValue;

    /// <summary><c>Long.getLong</c>.</summary>
    public long GetInt64Property(string name, long defaultValue) =>
        JavaText.TryDecodeLong(GetProperty(name), out long v) ? v : defaultValue;

    /// <summary><c>Boolean.getBoolean</c> when absent ⇒ default; otherwise true only for "true" in any case.</summary>
    public bool GetBooleanProperty(string name, bool defaultValue = false) =>
        GetProperty(name) is { } v ? JavaText.ParseBoolean(v) : defaultValue;
}
