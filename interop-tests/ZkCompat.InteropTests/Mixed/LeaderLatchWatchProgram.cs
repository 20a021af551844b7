using System.Diagnostics;
using System.Text.RegularExpressions;
using ZkCompat.InteropTests.Support;
using ZkCompat.TestSupport;

namespace ZkCompat.InteropTests.Mixed;

/// <summary>
/// <c>Mixed/java/LeaderLatchWatch.java</c>: Curator LeaderLatch participants (one session each, in one
/// JVM) kept running while an ensemble is reshaped; it reports every leadership change and whether
/// two participants ever led at once. Compiled from the source tree against Debian's Curator jars.
/// </summary>
internal sealed partial class LeaderLatchWatchProgram : IAsyncDisposable
{
    private const string MainClass = "LeaderLatchWatch";
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    private static readonly (string Jar, string Package)[] Jars =
    [
        ("curator-recipes.jar", "libcurator-recipes-java"),
        ("curator-framework.jar", "libcurator-framework-java"),
        ("curator-client.jar", "libcurator-client-java"),
        ("guava.jar", "libguava-java"),
        ("zookeeper.jar", "libzookeeper-java"),
        ("zookeeper-jute.jar", "libzookeeper-java"),
        ("slf4j-api.jar", "libslf4j-java"),
        ("slf4j-simple.jar", "libslf4j-java"),
    ];

    private readonly string _tempDir;
    private readonly ChildProcess _process;

    private LeaderLatchWatchProgram(string tempDir, ChildProcess process)
    {
        _tempDir = tempDir;
        _process = process;
    }

    /// <summary>Everything the program printed so far.</summary>
    public string Output => _process.Output;

    /// <summary>Lines reporting two leaders at once (none while the latch holds).</summary>
    public IReadOnlyList<string> TwoLeaderLines => _process.LinesFrom(0).Where(l => l.Contains(" TWO-LEADERS ", StringComparison.Ordinal)).ToList();

    /// <summary>Compiles the program and starts <paramref name="participants"/> participants on <paramref name="latchPath"/>; returns once all have started.</summary>
    public static async Task<LeaderLatchWatchProgram> StartAsync(string connectString, string latchPath, int participants, CancellationToken ct)
    {
        string source = Path.Combine(RepoPaths.Root, "interop-tests", "ZkCompat.InteropTests", "Mixed", "java", MainClass + ".java");
        Assert.That(File.Exists(source), Is.True, $"{source} is part of the source tree");
        string jars = DebianFiles.Classpath(Jars);
        string tempDir = Path.Combine(Path.GetTempPath(), "zkcompat-mixed-latch-" + Guid.NewGuid().ToString("N"));
        string classes = Path.Combine(tempDir, "classes");
        JavaEnvironment.Default.CompileJava([source], jars, classes).EnsureSuccess($"javac {MainClass}.java");
        var process = ChildProcess.Start(JavaEnvironment.Default.Java,
            ["-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classes + Path.PathSeparator + jars, MainClass, connectString, latchPath,
             participants.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            new ChildProcessOptions { RedirectStandardInput = true });
        var program = new LeaderLatchWatchProgram(tempDir, process);
        if (!await process.WaitForLinesAsync(0, lines => lines.Any(l => l.Contains(" STARTED ", StringComparison.Ordinal) || l.StartsWith("FAIL", StringComparison.Ordinal)),
                AnswerTimeout, ct))
        {
            Assert.Fail($"{MainClass} did not start its participants:\n{process.Output}");
        }
        return program;
    }

    /// <summary>Asks for the current state: how many participants lead now, the most that ever led at once, changes, sessions lost.</summary>
    public async Task<LatchStatus> StatusAsync(CancellationToken ct)
    {
        int from = _process.LineCount;
        await _process.WriteLineAsync("status", ct);
        if (!await _process.WaitForLinesAsync(from, lines => lines.Any(l => StatusLine().IsMatch(l)), AnswerTimeout, ct))
            Assert.Fail($"{MainClass} did not answer status:\n{_process.Output}");
        var m = StatusLine().Match(_process.LinesFrom(from).First(l => StatusLine().IsMatch(l)));
        return new LatchStatus(Int(m, "leaders"), Int(m, "max"), Int(m, "changes"), Int(m, "lost"), m.Value);
    }

    /// <summary>Polls <see cref="StatusAsync"/> until exactly one participant leads (a change of leader takes a moment after a reconnect).</summary>
    public async Task<LatchStatus> OneLeaderAsync(TimeSpan timeout, CancellationToken ct)
    {
        var elapsed = Stopwatch.StartNew();
        while (true)
        {
            var status = await StatusAsync(ct);
            if (status.Leaders == 1 || elapsed.Elapsed > timeout) return status;
            // The program reports leadership changes as lines; wait for the next one instead of a fixed pause.
            await _process.WaitForLinesAsync(_process.LineCount, lines => lines.Count > 0, TimeSpan.FromSeconds(1), ct);
        }
    }

    /// <summary>Closes the latches and sessions; returns the final summary.</summary>
    public async Task<LatchStatus> StopAsync(CancellationToken ct)
    {
        int from = _process.LineCount;
        await _process.WriteLineAsync("stop", ct);
        if (!await _process.WaitForLinesAsync(from, lines => lines.Any(l => SummaryLine().IsMatch(l)), AnswerTimeout, ct))
            Assert.Fail($"{MainClass} did not stop:\n{_process.Output}");
        var m = SummaryLine().Match(_process.LinesFrom(from).First(l => SummaryLine().IsMatch(l)));
        return new LatchStatus(Leaders: 0, Int(m, "max"), Int(m, "changes"), Int(m, "lost"), m.Value);
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        if (Directory.Exists(_tempDir)) Directory.Delete(_tempDir, recursive: true);
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"STATUS leaders=(?<leaders>-?\d+) leading=\[[^\]]*\] changes=(?<changes>\d+) max=(?<max>\d+) lost=(?<lost>\d+)")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"SUMMARY max=(?<max>\d+) changes=(?<changes>\d+) lost=(?<lost>\d+)")]
    private static partial Regex SummaryLine();
}

/// <summary>What <see cref="LeaderLatchWatchProgram"/> reported: leaders now, most leaders at once, leadership changes, sessions lost.</summary>
internal sealed record LatchStatus(int Leaders, int MaxLeaders, int Changes, int Lost, string Line);
