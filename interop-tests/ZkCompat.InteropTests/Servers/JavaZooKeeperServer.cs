using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// Debian's stock Apache ZooKeeper 3.8 in standalone mode: <c>ZooKeeperServerMain</c> on the classpath
/// <c>zkServer.sh</c> uses (<c>zookeeper.jar</c>, whose manifest names its dependencies), plus
/// <c>slf4j-simple</c> so that the server's log goes to stdout, where the rig captures it.
/// </summary>
public sealed class JavaZooKeeperServer : ZooKeeperProcessBase
{
    private const string MainClass = "org.apache.zookeeper.server.ZooKeeperServerMain";

    /// <summary>The server's classpath: the jars <c>zkServer.sh</c> uses plus slf4j-simple for a log on stdout.</summary>
    internal static readonly (string Jar, string Package)[] Jars =
    [
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("slf4j-api.jar", "libslf4j-java"),
        ("slf4j-simple.jar", "libslf4j-java"),
        // The manifest names Jetty but not the servlet API it needs: without it JettyAdminServer cannot
        // load and Java quietly runs no AdminServer (only used where admin.enableServer=true).
        ("servlet-api.jar", "libservlet-api-java"),
    ];

    /// <summary>Small heap, serial GC, log to stdout with times: shared by the quorum peers of an ensemble.</summary>
    internal static readonly string[] JvmOptions =
    [
        "-Xmx256m",
        "-XX:+UseSerialGC",
        "-Dorg.slf4j.simpleLogger.logFile=System.out",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
        "-Dzookeeper.jmx.log4j.disable=true",
    ];

    private readonly string _java;
    private readonly string _classpath;

    private JavaZooKeeperServer(ZooCfg config, string tempDir, string java, string classpath)
        : base(ServerKind.Java, config, tempDir)
    {
        _java = java;
        _classpath = classpath;
    }

    public static Task<JavaZooKeeperServer> StartAsync(Action<ZooCfg>? configure = null, CancellationToken cancellationToken = default)
    {
        // Resolve the JVM and the jars before creating anything, so a missing package fails with its name.
        string java = JavaEnvironment.Default.Java;
        string classpath = DebianFiles.Classpath(Jars);
        return StartAsync(ServerKind.Java, configure, (cfg, dir) => new JavaZooKeeperServer(cfg, dir, java, classpath), cancellationToken);
    }

    /// <summary>
    /// Serves the existing <paramref name="dataDir"/> (not deleted on dispose) on <paramref name="clientPort"/>
    /// (0: a free one), e.g. a data directory another server wrote.
    /// </summary>
    public static Task<JavaZooKeeperServer> StartOnAsync(string dataDir, int clientPort, Action<ZooCfg>? configure = null,
        CancellationToken cancellationToken = default)
    {
        string java = JavaEnvironment.Default.Java;
        string classpath = DebianFiles.Classpath(Jars);
        return StartAsync(ServerKind.Java, configure, (cfg, dir) => new JavaZooKeeperServer(cfg, dir, java, classpath), dataDir, clientPort, cancellationToken);
    }

    protected override ChildProcess Launch() =>
        ChildProcess.Start(_java, [.. JvmOptions, "-cp", _classpath, MainClass, ConfigPath],
            new ChildProcessOptions { WorkingDirectory = TempDir });
}
