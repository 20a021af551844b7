using System.Diagnostics;
using System.Net.Sockets;
using NUnit.Framework;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// What both server processes share: a temp directory holding <c>zoo.cfg</c> and the data directory, a
/// free port, the child process with its captured log, readiness by <c>ruok</c>, and teardown.
/// Subclasses only say how to launch the process.
/// </summary>
public abstract class ZooKeeperProcessBase : IZooKeeperProcess
{
    /// <summary>How long a server may take from launch to answering <c>ruok</c> with <c>imok</c>.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FourLetterWordTimeout = TimeSpan.FromSeconds(5);
    private const int MaxAttempts = 3;

    private ChildProcess? _process;
    private bool _disposed;

    protected ZooKeeperProcessBase(ServerKind kind, ZooCfg config, string tempDir)
    {
        Kind = kind;
        Config = config;
        TempDir = tempDir;
    }

    public ServerKind Kind { get; }

    public ZooCfg Config { get; }

    public int Port => Config.ClientPort;

    public string ConnectString => $"127.0.0.1:{Port}";

    public string DataDir => Config.DataDir;

    /// <summary>The directory holding <c>zoo.cfg</c> and the data directory; deleted on dispose.</summary>
    public string TempDir { get; }

    public string ConfigPath => Path.Combine(TempDir, "zoo.cfg");

    public string LogText => _process?.Output ?? "";

    /// <summary>The command line that started the server.</summary>
    public string CommandLine => _process?.CommandLine ?? "<not started>";

    public Task<string> FourLetterWordAsync(string word, CancellationToken cancellationToken = default) =>
        FourLetterWordClient.SendAsync(Port, word, FourLetterWordTimeout, cancellationToken);

    /// <summary>Starts the server process for the written <see cref="ConfigPath"/>.</summary>
    protected abstract ChildProcess Launch();

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_process is not null) await _process.DisposeAsync().ConfigureAwait(false);
        DeleteTempDir();
    }

    /// <summary>
    /// Creates the instance (fresh temp dir, free port, zoo.cfg), launches it and waits until it answers
    /// <c>ruok</c>. A port taken between choosing and binding is retried with another port; any other
    /// failure fails the test with the server's log.
    /// </summary>
    protected static async Task<T> StartAsync<T>(ServerKind kind, Action<ZooCfg>? configure, Func<ZooCfg, string, T> create,
        CancellationToken cancellationToken)
        where T : ZooKeeperProcessBase
    {
        for (int attempt = 1; ; attempt++)
        {
            string tempDir = Path.Combine(Path.GetTempPath(), $"zkcompat-interop-{kind.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(tempDir);
            var config = new ZooCfg();
            configure?.Invoke(config);
            config.ClientPort = FreePort.OnLoopback();
            config.DataDir = Path.Combine(tempDir, "data");
            Directory.CreateDirectory(config.DataDir);

            T server = create(config, tempDir);
            string? failure;
            try
            {
                await File.WriteAllTextAsync(server.ConfigPath, config.Render(), cancellationToken).ConfigureAwait(false);
                server._process = server.Launch();
                failure = await server.WaitUntilServingAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await server.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            if (failure is null) return server;

            bool portTaken = server.LogText.Contains("Address already in use", StringComparison.OrdinalIgnoreCase);
            string report = server.Describe(failure);
            await server.DisposeAsync().ConfigureAwait(false);
            if (portTaken && attempt < MaxAttempts) continue;
            Assert.Fail(report);
        }
    }

    /// <summary>A failure report: what went wrong, how the server was started, its config and log.</summary>
    public string Describe(string problem) =>
        $"{Kind} ZooKeeper server: {problem}\ncommand: {CommandLine}\n--- zoo.cfg ---\n{Config.Render()}--- server log ---\n{LogText}";

    // Polls ruok; between polls it waits for the server to log something (or PollInterval), so a
    // server that is busy starting is asked again as soon as it reports progress.
    private async Task<string?> WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        string lastAnswer = "no answer yet";
        while (true)
        {
            if (_process!.HasExited)
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                return $"exited with code {_process.ExitCode} before answering ruok";
            }
            try
            {
                string answer = await FourLetterWordAsync("ruok", cancellationToken).ConfigureAwait(false);
                // Java answers ruok before it serves sessions; srvr says when it really does.
                if (answer == "imok")
                {
                    string srvr = await FourLetterWordAsync("srvr", cancellationToken).ConfigureAwait(false);
                    if (srvr.StartsWith("Zookeeper version:", StringComparison.Ordinal)) return null;
                    answer = srvr.Trim();
                }
                lastAnswer = $"ruok/srvr answered '{answer}'";
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                lastAnswer = $"ruok failed: {e.Message}";
            }
            if (elapsed.Elapsed > StartTimeout)
                return $"did not answer ruok with imok within {StartTimeout.TotalSeconds:F0}s ({lastAnswer})";
            await _process.WaitForActivityAsync(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    private void DeleteTempDir()
    {
        try
        {
            if (Directory.Exists(TempDir)) Directory.Delete(TempDir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TestContext.Progress.WriteLine($"could not delete {TempDir}: {e.Message}");
        }
    }
}
