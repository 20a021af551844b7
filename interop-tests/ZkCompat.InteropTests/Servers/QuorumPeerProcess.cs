using System.Globalization;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// One server of a replicated ensemble as its own process: Java's <c>QuorumPeerMain</c> or
/// <c>zkcompat</c>, on a <c>zoo.cfg</c> with <c>server.N</c> lines and a <c>myid</c> file in its data
/// directory. Unlike a standalone server it is launched without waiting: it serves only once a quorum
/// has formed, which needs its peers, so <see cref="ZooKeeperEnsemble"/> launches them all and then waits.
/// The data directory is the ensemble's (it outlives a restart with another implementation); disposing
/// this process deletes only its own directory with <c>zoo.cfg</c>.
/// </summary>
public sealed class QuorumPeerProcess : ZooKeeperProcessBase
{
    private const string JavaMainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

    private readonly string _executable;
    private readonly IReadOnlyList<string> _argumentsBeforeConfig;
    private readonly IReadOnlyDictionary<string, string?> _environment;

    private QuorumPeerProcess(ServerKind kind, long serverId, ZooCfg config, string confDir, string executable,
        IReadOnlyList<string> argumentsBeforeConfig, IReadOnlyDictionary<string, string?> environment)
        : base(kind, config, confDir)
    {
        ServerId = serverId;
        _executable = executable;
        _argumentsBeforeConfig = argumentsBeforeConfig;
        _environment = environment;
    }

    /// <summary>The <c>myid</c> of this server.</summary>
    public long ServerId { get; }

    /// <summary>
    /// Prepares (does not launch) server <paramref name="serverId"/> of <paramref name="kind"/> on
    /// <paramref name="config"/>, whose ports and data directory the caller has set.
    /// <paramref name="systemProperties"/> become <c>-Dname=value</c>: JVM options for Java, arguments
    /// before <c>zoo.cfg</c> for zkcompat, which reads them the same way.
    /// </summary>
    public static QuorumPeerProcess Create(ServerKind kind, long serverId, ZooCfg config, string confDir,
        IReadOnlyDictionary<string, string> systemProperties)
    {
        // Resolve the tools before anything is created, so a missing one fails the test with its name.
        var defines = systemProperties.Select(p => $"-D{p.Key}={p.Value}").ToList();
        return kind switch
        {
            ServerKind.Java => new QuorumPeerProcess(kind, serverId, config, confDir, JavaEnvironment.Default.Java,
                [.. JavaZooKeeperServer.JvmOptions, .. defines, "-cp", DebianFiles.Classpath(JavaZooKeeperServer.Jars), JavaMainClass],
                new Dictionary<string, string?>()),
            ServerKind.ZkCompat => new QuorumPeerProcess(kind, serverId, config, confDir, ZkCompatServerProcess.LocateDotnet(),
                [ZkCompatServerProcess.LocateDll(), .. defines],
                new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>Writes <c>zoo.cfg</c> and <c>myid</c> and launches the first run; returns without waiting for it to serve.</summary>
    public async Task LaunchAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(TempDir);
        Directory.CreateDirectory(DataDir);
        await File.WriteAllTextAsync(ConfigPath, Config.Render(), cancellationToken).ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(DataDir, "myid"), ServerId.ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken)
            .ConfigureAwait(false);
        LaunchRun();
    }

    /// <summary>After a stop or kill: launches again on the same <c>zoo.cfg</c>; returns without waiting for it to serve.</summary>
    public void Relaunch() => LaunchRun();

    /// <summary>Waits until the current run serves (<c>srvr</c> answers); null when it does, else why not.</summary>
    public Task<string?> WaitForServingAsync(CancellationToken cancellationToken = default) => WaitUntilServingAsync(cancellationToken);

    protected override ChildProcess Launch() =>
        ChildProcess.Start(_executable, [.. _argumentsBeforeConfig, ConfigPath],
            new ChildProcessOptions { WorkingDirectory = TempDir, Environment = _environment });
}
