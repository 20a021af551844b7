using NUnit.Framework;
using ZkCompat.InteropTests.Support;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// The server under test as a separate process: <c>dotnet zkcompat.dll zoo.cfg</c>, with the dll taken
/// from <c>src/ZkCompat.Server/bin/&lt;Configuration&gt;/net10.0</c> for the configuration this test
/// assembly was built in (or from <see cref="DllVariable"/>).
/// </summary>
public sealed class ZkCompatServerProcess : ZooKeeperProcessBase
{
    /// <summary>Points the rig at a specific <c>zkcompat.dll</c>.</summary>
    public const string DllVariable = "ZKCOMPAT_SERVER_DLL";

    private const string TargetFramework = "net10.0";

    private readonly string _dotnet;
    private readonly string _dll;

    private ZkCompatServerProcess(ZooCfg config, string tempDir, string dotnet, string dll)
        : base(ServerKind.ZkCompat, config, tempDir)
    {
        _dotnet = dotnet;
        _dll = dll;
    }

    public static Task<ZkCompatServerProcess> StartAsync(Action<ZooCfg>? configure = null, CancellationToken cancellationToken = default)
    {
        string dll = LocateDll();
        string dotnet = LocateDotnet();
        return StartAsync(ServerKind.ZkCompat, configure, (cfg, dir) => new ZkCompatServerProcess(cfg, dir, dotnet, dll), cancellationToken);
    }

    /// <summary>
    /// Serves the existing <paramref name="dataDir"/> (not deleted on dispose) on <paramref name="clientPort"/>
    /// (0: a free one), e.g. a data directory another server wrote.
    /// </summary>
    public static Task<ZkCompatServerProcess> StartOnAsync(string dataDir, int clientPort, Action<ZooCfg>? configure = null,
        CancellationToken cancellationToken = default)
    {
        string dll = LocateDll();
        string dotnet = LocateDotnet();
        return StartAsync(ServerKind.ZkCompat, configure, (cfg, dir) => new ZkCompatServerProcess(cfg, dir, dotnet, dll), dataDir, clientPort, cancellationToken);
    }

    protected override ChildProcess Launch() =>
        ChildProcess.Start(_dotnet, [_dll, ConfigPath], new ChildProcessOptions
        {
            WorkingDirectory = TempDir,
            Environment = new Dictionary<string, string?> { ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1" },
        });

    /// <summary>The configuration (Debug/Release) this test assembly was built in, read from its own path.</summary>
    public static string TestConfiguration
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir?.Parent is not null; dir = dir.Parent)
            {
                if (string.Equals(dir.Parent.Name, "bin", StringComparison.Ordinal)) return dir.Name;
            }
            return "Debug";
        }
    }

    internal static string LocateDll()
    {
        string? fromEnvironment = Environment.GetEnvironmentVariable(DllVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            if (!File.Exists(fromEnvironment)) Assert.Fail($"{DllVariable} points at '{fromEnvironment}', which does not exist.");
            return fromEnvironment;
        }
        string configuration = TestConfiguration;
        string dll = Path.Combine(RepoPaths.Root, "src", "ZkCompat.Server", "bin", configuration, TargetFramework, "zkcompat.dll");
        if (!File.Exists(dll))
        {
            Assert.Fail(
                $"The ZkCompat server is not built: '{dll}' does not exist. Build it in the same configuration as the tests " +
                $"(dotnet build src/ZkCompat.Server -c {configuration}, or ./build.sh build), or set {DllVariable}.");
        }
        return dll;
    }

    internal static string LocateDotnet()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        // The SDK tells child processes which host it runs on; the test host itself may be that host.
        string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(hostPath) && File.Exists(hostPath)) return hostPath;
        string? self = Environment.ProcessPath;
        if (self is not null && Path.GetFileName(self) == exe) return self;
        string? root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, exe))) return Path.Combine(root, exe);
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, exe);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Fail("The 'dotnet' host was not found (DOTNET_HOST_PATH, DOTNET_ROOT, PATH); it is needed to run zkcompat.dll.");
        return exe; // unreachable: Assert.Fail throws
    }
}
