using System.Diagnostics;
using NUnit.Framework.Interfaces;
using ZkCompat.Client;
using ZkCompat.InteropTests.Servers;
using ZkCompat.Protocol;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// Plumbing of the end-to-end persistence tests: a temp directory per test for data directories,
/// servers and clients that are torn down after the test, connects that wait for a server to serve,
/// and, when a test fails, the full log (stdout and stderr) of every server it started.
/// </summary>
[Category("Interop")]
public abstract class EndToEndFixture
{
    /// <summary>How long a just-started server may refuse sessions (Java answers srvr before it takes them).</summary>
    private static readonly TimeSpan ServingTimeout = TimeSpan.FromSeconds(30);

    private readonly List<IZooKeeperProcess> _servers = [];
    private readonly List<ZooKeeperClient> _clients = [];
    private string _tempDir = null!;

    [SetUp]
    public void CreateTempDir()
    {
        _tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-e2e-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_tempDir);
    }

    [TearDown]
    public async Task TearDownServers()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status != TestStatus.Passed)
        {
            foreach (var server in _servers)
            {
                await TestContext.Out.WriteLineAsync(
                    $"===== {server.Kind} server on port {server.Port}, dataDir {server.DataDir} =====\n{server.LogText}");
            }
        }
        // The servers go anyway: dropping connections is enough, and quicker than closing sessions.
        foreach (var client in _clients) client.Abort();
        _clients.Clear();
        foreach (var server in _servers) await server.DisposeAsync();
        _servers.Clear();
        try
        {
            Directory.Delete(_tempDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await TestContext.Progress.WriteLineAsync($"could not delete {_tempDir}: {e.Message}");
        }
    }

    /// <summary>The test's time limit, set by <see cref="CancelAfterAttribute"/>.</summary>
    protected static CancellationToken TestCancellation => TestContext.CurrentContext.CancellationToken;

    /// <summary>A new empty directory inside the test's temp directory.</summary>
    protected string NewDir(string name)
    {
        string dir = Path.Combine(_tempDir, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>Starts a server on <paramref name="dataDir"/>; it is disposed (and its log shown on failure) after the test.</summary>
    protected async Task<IZooKeeperProcess> StartOnAsync(ServerKind kind, string dataDir, int port, Action<ZooCfg> configure,
        CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var server = await ZooKeeperProcesses.StartOnAsync(kind, dataDir, port, configure, ct);
        _servers.Add(server);
        await Progress($"{kind} serving {dataDir} on port {server.Port} after {stopwatch.Elapsed.TotalSeconds:F1}s");
        return server;
    }

    /// <summary>
    /// A client of <paramref name="server"/>. A server that just started may still close connections
    /// (Java answers the rig's srvr before it takes sessions): retried, asking srvr between tries,
    /// until <see cref="ServingTimeout"/>. SessionExpired is not retried.
    /// </summary>
    protected async Task<ZooKeeperClient> ConnectAsync(IZooKeeperProcess server, ZooKeeperClientOptions? options, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                var client = await ZooKeeperClient.ConnectAsync(server.ConnectString, options, ct);
                _clients.Add(client);
                return client;
            }
            catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss && stopwatch.Elapsed < ServingTimeout && !server.HasExited)
            {
                await server.FourLetterWordAsync("srvr", ct);
            }
        }
    }

    /// <summary>The whole tree as a client authenticated as every reader user sees it; the client is closed afterwards.</summary>
    private protected async Task<TreeView> ReadTreeAsync(IZooKeeperProcess server, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var reader = await ConnectAsync(server, null, ct);
        foreach (var (user, password) in EveryKindWorkload.ReaderUsers)
            await reader.AddAuthAsync("digest", System.Text.Encoding.UTF8.GetBytes(user + ":" + password), ct);
        var view = await TreeView.ReadAsync(reader, "/", ct);
        await reader.CloseAsync(ct);
        await Progress($"read {view.Count} nodes from {server.Kind} in {stopwatch.Elapsed.TotalSeconds:F1}s");
        return view;
    }

    /// <summary>Copies a data directory as it is (a crashed server's files, before anything repairs them).</summary>
    protected static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (string file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)), overwrite: true);
    }

    /// <summary>Snapshot and log files in a data directory's <c>version-2</c>.</summary>
    protected static (int Snapshots, int Logs) CountFiles(string dataDir)
    {
        string versionDir = Path.Combine(dataDir, "version-2");
        return (Directory.GetFiles(versionDir, "snapshot.*").Length, Directory.GetFiles(versionDir, "log.*").Length);
    }

    protected static Task Progress(string message) => TestContext.Progress.WriteLineAsync(message);
}
