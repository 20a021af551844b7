using ZkCompat.InteropTests.Servers;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Tls;

/// <summary>
/// Debian's Java ZooKeeper 3.8 with the NettyServerCnxnFactory on its classpath: zookeeper.jar's manifest
/// names netty-buffer, -common, -handler and -transport but not what SslHandler and the transport need
/// besides (netty-codec, netty-resolver, netty-transport-native-unix-common); libnetty-java ships them.
/// </summary>
public sealed class NettyJavaServer : ZooKeeperProcessBase
{
    private const string MainClass = "org.apache.zookeeper.server.ZooKeeperServerMain";

    /// <summary>The netty jars a TLS server or client needs beyond zookeeper.jar's manifest.</summary>
    internal static readonly (string Jar, string Package)[] NettyJars =
    [
        ("netty-codec.jar", "libnetty-java"),
        ("netty-resolver.jar", "libnetty-java"),
        ("netty-transport-native-unix-common.jar", "libnetty-java"),
    ];

    private readonly string _java;
    private readonly string _classpath;

    private NettyJavaServer(ZooCfg config, string tempDir, string java, string classpath)
        : base(ServerKind.Java, config, tempDir)
    {
        _java = java;
        _classpath = classpath;
    }

    /// <summary>The server's classpath (the rig's Java server jars plus <see cref="NettyJars"/>).</summary>
    public static string Classpath => DebianFiles.Classpath([.. JavaZooKeeperServer.Jars, .. NettyJars]);

    public static Task<NettyJavaServer> StartAsync(Action<ZooCfg> configure, CancellationToken cancellationToken = default)
    {
        string java = JavaEnvironment.Default.Java;
        string classpath = Classpath;
        return StartAsync(ServerKind.Java, configure, (cfg, dir) => new NettyJavaServer(cfg, dir, java, classpath), cancellationToken);
    }

    /// <summary>The command line of a Java server on <paramref name="configPath"/> (for runs that must fail to start).</summary>
    public static (string FileName, IReadOnlyList<string> Args) CommandFor(string configPath) =>
        (JavaEnvironment.Default.Java, [.. JavaZooKeeperServer.JvmOptions, "-cp", Classpath, MainClass, configPath]);

    protected override ChildProcess Launch() =>
        ChildProcess.Start(_java, [.. JavaZooKeeperServer.JvmOptions, "-cp", _classpath, MainClass, ConfigPath],
            new ChildProcessOptions { WorkingDirectory = TempDir });
}
