using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.Servers;

/// <summary>
/// What both server processes share: a temp directory holding <c>zoo.cfg</c> and (unless an existing
/// one is given) the data directory, a free port, the child process with its captured log, readiness
/// by <c>ruok</c>, stop / kill -9 / restart on the same <c>zoo.cfg</c>, and teardown. Subclasses only
/// say how to launch the process.
/// </summary>
public abstract class ZooKeeperProcessBase : IZooKeeperProcess
{
    /// <summary>How long a server may take from launch to answering <c>ruok</c> with <c>imok</c>.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(40);

    /// <summary>How long a server may take to exit after SIGTERM.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan FourLetterWordTimeout = TimeSpan.FromSeconds(5);
    private const int MaxAttempts = 3;

    // One entry per launch; the last is the current process. Earlier runs keep their output for reports.
    private readonly List<Run> _runs = [];
    private bool _disposed;

    private sealed class Run(ChildProcess process)
    {
        public ChildProcess Process { get; } = process;

        /// <summary>How the run ended, when the rig ended it (stop, kill).</summary>
        public string? Ending { get; set; }
    }

    private ChildProcess? CurrentProcess => _runs.Count == 0 ? null : _runs[^1].Process;

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

    /// <summary>
    /// The current run's output; after a stop, kill or restart, every run's output in order, each between
    /// a "run N" header and a line saying how it ended.
    /// </summary>
    public string LogText
    {
        get
        {
            if (_runs.Count == 0) return "";
            if (_runs.Count == 1 && _runs[0].Ending is null) return _runs[0].Process.Output;
            var sb = new StringBuilder();
            for (int i = 0; i < _runs.Count; i++)
            {
                sb.Append("=== run ").Append(i + 1).Append(" ===\n").Append(_runs[i].Process.Output).Append('\n');
                if (_runs[i].Ending is { } ending) sb.Append("=== run ").Append(i + 1).Append(' ').Append(ending).Append(" ===\n");
            }
            return sb.ToString();
        }
    }

    /// <summary>True once the current process has exited (or none was started).</summary>
    public bool HasExited => CurrentProcess?.HasExited ?? true;

    /// <summary>The command line that started the server.</summary>
    public string CommandLine => CurrentProcess?.CommandLine ?? "<not started>";

    public Task<string> FourLetterWordAsync(string word, CancellationToken cancellationToken = default) =>
        FourLetterWordClient.SendAsync(Port, word, FourLetterWordTimeout, cancellationToken);

    /// <summary>Starts the server process for the written <see cref="ConfigPath"/>.</summary>
    protected abstract ChildProcess Launch();

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var run in _runs) await run.Process.DisposeAsync().ConfigureAwait(false);
        DeleteTempDir();
    }

    /// <summary>
    /// A clean stop as <c>zkServer.sh stop</c> does it: SIGTERM, then wait for the process to exit. A
    /// server still running after <see cref="StopTimeout"/> is killed and fails the test.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        var run = CurrentRun();
        if (!run.Process.HasExited) PosixSignals.Terminate(run.Process.Id);
        if (!await run.Process.WaitForExitAsync(StopTimeout, cancellationToken).ConfigureAwait(false))
        {
            await run.Process.KillAsync().ConfigureAwait(false);
            run.Ending = $"did not exit within {StopTimeout.TotalSeconds:F0}s of SIGTERM and was killed";
            Assert.Fail(Describe(run.Ending));
        }
        run.Ending ??= $"stopped by SIGTERM, exit code {run.Process.ExitCode}";
    }

    /// <summary><c>kill -9</c>: the process gets no chance to write, flush or close anything.</summary>
    public async Task KillAsync()
    {
        var run = CurrentRun();
        bool wasRunning = !run.Process.HasExited;
        await run.Process.KillAsync().ConfigureAwait(false);
        run.Ending ??= wasRunning ? "killed by SIGKILL" : $"had already exited with code {run.Process.ExitCode}";
    }

    /// <summary>
    /// Starts the server again on the same <c>zoo.cfg</c> (same port, same data directory) after
    /// <see cref="StopAsync"/> or <see cref="KillAsync"/>, and waits until it serves; fails the test with
    /// the log of every run if it does not.
    /// </summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        var previous = CurrentRun();
        if (!previous.Process.HasExited) throw new InvalidOperationException($"{Kind} server is still running; stop or kill it first");
        previous.Ending ??= $"exited with code {previous.Process.ExitCode}";
        _runs.Add(new Run(Launch()));
        string? failure = await WaitUntilServingAsync(cancellationToken).ConfigureAwait(false);
        if (failure is not null) Assert.Fail(Describe("on restart: " + failure));
    }

    /// <summary>
    /// Launches a run for the written <see cref="ConfigPath"/> and returns at once, after a stop or kill
    /// or as the first run: a quorum peer serves only once enough of its peers are up, so an ensemble
    /// launches every peer before it waits for any (see <see cref="WaitUntilServingAsync"/>).
    /// </summary>
    protected void LaunchRun()
    {
        if (_runs.Count > 0)
        {
            var previous = _runs[^1];
            if (!previous.Process.HasExited) throw new InvalidOperationException($"{Kind} server is still running; stop or kill it first");
            previous.Ending ??= $"exited with code {previous.Process.ExitCode}";
        }
        _runs.Add(new Run(Launch()));
    }

    /// <summary>The current run's output alone (<see cref="LogText"/> holds every run's).</summary>
    public string CurrentRunLog => CurrentProcess?.Output ?? "";

    /// <summary>The current run's exit code once it has exited; null while it runs.</summary>
    public int? CurrentExitCode => CurrentProcess is { HasExited: true } process ? process.ExitCode : null;

    private Run CurrentRun() =>
        _runs.Count > 0 ? _runs[^1] : throw new InvalidOperationException($"{Kind} server was never started");

    /// <summary>
    /// Creates the instance (fresh temp dir, free port, zoo.cfg), launches it and waits until it answers
    /// <c>ruok</c>. A port taken between choosing and binding is retried with another port; any other
    /// failure fails the test with the server's log.
    /// </summary>
    protected static Task<T> StartAsync<T>(ServerKind kind, Action<ZooCfg>? configure, Func<ZooCfg, string, T> create,
        CancellationToken cancellationToken)
        where T : ZooKeeperProcessBase =>
        StartAsync(kind, configure, create, existingDataDir: null, fixedPort: 0, cancellationToken);

    /// <summary>
    /// As <see cref="StartAsync{T}(ServerKind, Action{ZooCfg}?, Func{ZooCfg, string, T}, CancellationToken)"/>,
    /// but serving <paramref name="existingDataDir"/> (left in place on dispose; only the temp dir with
    /// <c>zoo.cfg</c> goes) and, when <paramref name="fixedPort"/> is not 0, on that port, without retries.
    /// </summary>
    protected static async Task<T> StartAsync<T>(ServerKind kind, Action<ZooCfg>? configure, Func<ZooCfg, string, T> create,
        string? existingDataDir, int fixedPort, CancellationToken cancellationToken)
        where T : ZooKeeperProcessBase
    {
        for (int attempt = 1; ; attempt++)
        {
            string tempDir = Path.Combine(Path.GetTempPath(), $"zkcompat-interop-{kind.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}");
            Directory.CreateDirectory(tempDir);
            var config = new ZooCfg();
            configure?.Invoke(config);
            config.ClientPort = fixedPort != 0 ? fixedPort : FreePort.OnLoopback();
            config.DataDir = existingDataDir ?? Path.Combine(tempDir, "data");
            Directory.CreateDirectory(config.DataDir);

            T server = create(config, tempDir);
            string? failure;
            try
            {
                await File.WriteAllTextAsync(server.ConfigPath, config.Render(), cancellationToken).ConfigureAwait(false);
                server._runs.Add(new Run(server.Launch()));
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
            if (portTaken && fixedPort == 0 && attempt < MaxAttempts) continue;
            Assert.Fail(report);
        }
    }

    /// <summary>A failure report: what went wrong, how the server was started, its config and log.</summary>
    public string Describe(string problem) =>
        $"{Kind} ZooKeeper server: {problem}\ncommand: {CommandLine}\n--- zoo.cfg ---\n{Config.Render()}--- server log ---\n{LogText}";

    /// <summary>
    /// Waits until the current run answers <c>srvr</c> as a serving server; null when it does, else why
    /// not. Polls ruok; between polls it waits for the server to log something (or PollInterval), so a
    /// server that is busy starting is asked again as soon as it reports progress.
    /// </summary>
    protected async Task<string?> WaitUntilServingAsync(CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        string lastAnswer = "no answer yet";
        while (true)
        {
            if (CurrentProcess!.HasExited)
            {
                await CurrentProcess.WaitForExitAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                return $"exited with code {CurrentProcess.ExitCode} before answering ruok";
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
            await CurrentProcess.WaitForActivityAsync(PollInterval, cancellationToken).ConfigureAwait(false);
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
