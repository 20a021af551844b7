using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.ZkCli;

/// <summary>
/// Runs a <see cref="ZkCliScript"/> through Debian's stock <c>zkCli.sh</c> in one interactive session.
/// </summary>
/// <remarks>
/// <para>Without jline on the classpath (Debian ships none) zkCli reads commands from stdin with a plain
/// reader and prints no prompt, so nothing marks the end of a command's output. After each command the
/// runner therefore sends a marker: an unknown command <c>zkcompat-step-N</c>. zkCli answers it on the
/// main thread, after the previous command has finished, with its usage text and
/// <c>Command not found ... zkcompat-step-N</c>; everything before that line belongs to the command.
/// Then, if the step expects watch events, the runner waits for them (they come from zkCli's event
/// thread) before sending the next command. One session per script keeps what only makes sense in one
/// session (addauth then auth ACLs, a watch then the change, close then connect).</para>
/// <para>zkCli runs with stderr merged into stdout (errors like "Node already exists" go to stderr), with
/// <c>-waitforconnection</c> so the first command finds the session connected, and with TZ=UTC so the
/// epoch (<c>ctime</c> of <c>/zookeeper/config</c>) prints the same everywhere.</para>
/// </remarks>
public static class ZkCliRunner
{
    /// <summary>The longest wait for one command's marker or events.</summary>
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    private const string MarkerPrefix = "zkcompat-step-";
    private const string UsageHeader = "ZooKeeper -server host:port";
    private const string WatcherLine = "WATCHER::";
    private const string EventPrefix = "WatchedEvent ";

    public static async Task<ZkCliTranscript> RunAsync(string connectString, ZkCliScript script, CancellationToken cancellationToken = default)
    {
        string zkCli = DebianFiles.ZkCli;
        DebianFiles.RequireJar("zookeeper.jar", "libzookeeper-java");
        await using var cli = ChildProcess.StartMerged(zkCli, ["-server", connectString, "-waitforconnection", "-timeout", "30000"],
            new ChildProcessOptions
            {
                RedirectStandardInput = true,
                Environment = new Dictionary<string, string?> { ["TZ"] = "UTC" },
            });

        var session = new Session(cli, cancellationToken);
        var steps = new List<ZkCliStepOutput> { await session.ExchangeAsync(null, ZkCliStepOutput.SessionStart, 0).ConfigureAwait(false) };
        bool quit = false;
        foreach (ZkCliStep step in script.Steps)
        {
            string command = step.Command.Replace("{server}", connectString, StringComparison.Ordinal);
            if (steps[^1].Problem is not null)
            {
                steps.Add(new ZkCliStepOutput(command, [], [], "not run"));
                continue;
            }
            if (command == "quit")
            {
                steps.Add(await session.QuitAsync(command).ConfigureAwait(false));
                quit = true;
                continue;
            }
            steps.Add(await session.ExchangeAsync(command, step.Command, step.ExpectedEvents).ConfigureAwait(false));
        }
        if (!quit && !cli.HasExited)
        {
            // End of input makes zkCli exit without a close; whatever it prints on the way is kept.
            cli.CloseStandardInput();
            steps.Add(await session.FinishAsync("(end of input)").ConfigureAwait(false));
        }
        bool exited = await cli.WaitForExitAsync(StepTimeout, cancellationToken).ConfigureAwait(false);
        return new ZkCliTranscript(steps, cli.Output, exited ? cli.ExitCode : null);
    }

    private sealed class Session(ChildProcess cli, CancellationToken cancellationToken)
    {
        private int _next;
        private int _markers;

        /// <summary>Sends <paramref name="command"/> (none for the session start) and collects its output.</summary>
        public async Task<ZkCliStepOutput> ExchangeAsync(string? command, string heading, int expectedEvents)
        {
            string marker = MarkerPrefix + _markers++;
            if (command is not null) await cli.WriteLineAsync(command, cancellationToken).ConfigureAwait(false);
            await cli.WriteLineAsync(marker, cancellationToken).ConfigureAwait(false);

            bool answered = await cli.WaitForLinesAsync(_next, lines => IndexOfMarker(lines, marker) >= 0, StepTimeout, cancellationToken)
                .ConfigureAwait(false);
            IReadOnlyList<string> lines = cli.LinesFrom(_next);
            if (!answered)
            {
                _next += lines.Count;
                string why = cli.HasExited ? "zkCli exited" : $"no answer within {StepTimeout.TotalSeconds:F0}s";
                return Split(heading, lines, $"{why} (marker {marker} not seen)");
            }
            int markerIndex = IndexOfMarker(lines, marker);
            var own = lines.Take(markerIndex).ToList();
            _next += markerIndex + 1;
            RemoveMarkerUsage(own);

            string? problem = null;
            int missing = expectedEvents - own.Count(IsEvent);
            if (missing > 0)
            {
                // zkCli is idle now; only its event thread prints. Take lines up to the last awaited event.
                bool arrived = await cli.WaitForLinesAsync(_next, later => later.Count(IsEvent) >= missing, StepTimeout, cancellationToken)
                    .ConfigureAwait(false);
                IReadOnlyList<string> later = cli.LinesFrom(_next);
                int take = arrived ? IndexAfterNthEvent(later, missing) : later.Count;
                own.AddRange(later.Take(take));
                _next += take;
                if (!arrived) problem = $"expected {expectedEvents} watch event(s), got {own.Count(IsEvent)} within {StepTimeout.TotalSeconds:F0}s";
            }
            return Split(heading, own, problem);
        }

        /// <summary>
        /// <c>quit</c> closes the session and exits the JVM at once; whether the event thread prints the
        /// Closed event before the exit is a race inside zkCli, so that event is dropped here.
        /// </summary>
        public async Task<ZkCliStepOutput> QuitAsync(string command)
        {
            await cli.WriteLineAsync(command, cancellationToken).ConfigureAwait(false);
            ZkCliStepOutput output = await FinishAsync(command).ConfigureAwait(false);
            return output with { Events = output.Events.Where(e => !e.StartsWith("WatchedEvent state:Closed ", StringComparison.Ordinal)).ToList() };
        }

        /// <summary>Waits for zkCli to exit and takes everything it printed since the last step.</summary>
        public async Task<ZkCliStepOutput> FinishAsync(string heading)
        {
            bool exited = await cli.WaitForExitAsync(StepTimeout, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<string> rest = cli.LinesFrom(_next);
            _next += rest.Count;
            return Split(heading, rest, exited ? null : $"zkCli did not exit within {StepTimeout.TotalSeconds:F0}s");
        }
    }

    /// <summary>Separates a step's lines into its own output and the watch events.</summary>
    internal static ZkCliStepOutput Split(string heading, IReadOnlyList<string> lines, string? problem)
    {
        var output = new List<string>();
        var events = new List<string>();
        foreach (string line in lines)
        {
            bool isWatcher = line == WatcherLine;
            bool isEvent = IsEvent(line);
            if (isWatcher || isEvent)
            {
                // zkCli prints "\nWATCHER::" and "\nWatchedEvent ..." with one println each: the empty
                // line just before belongs to the event, not to the command.
                if (output.Count > 0 && output[^1].Length == 0) output.RemoveAt(output.Count - 1);
                if (isEvent) events.Add(line);
                continue;
            }
            output.Add(line);
        }
        return new ZkCliStepOutput(heading, output, events, problem);
    }

    private static bool IsEvent(string line) => line.StartsWith(EventPrefix, StringComparison.Ordinal);

    private static int IndexOfMarker(IReadOnlyList<string> lines, string marker)
    {
        for (int i = 0; i < lines.Count; i++)
        {
            if (lines[i].EndsWith(" " + marker, StringComparison.Ordinal)) return i;
        }
        return -1;
    }

    private static int IndexAfterNthEvent(IReadOnlyList<string> lines, int n)
    {
        int seen = 0;
        for (int i = 0; i < lines.Count; i++)
        {
            if (IsEvent(lines[i]) && ++seen == n) return i + 1;
        }
        return lines.Count;
    }

    // The marker's usage text (header plus tab-indented command lines) immediately precedes its
    // "Command not found" line; event lines may sit in between and are left alone.
    private static void RemoveMarkerUsage(List<string> lines)
    {
        int header = lines.FindLastIndex(l => l.StartsWith(UsageHeader, StringComparison.Ordinal));
        if (header < 0) return;
        for (int i = header + 1; i < lines.Count; i++)
        {
            if (!lines[i].StartsWith('\t') && lines[i] != WatcherLine && !IsEvent(lines[i]) && lines[i].Length != 0) return;
        }
        var kept = lines.Skip(header + 1).Where(l => !l.StartsWith('\t')).ToList();
        lines.RemoveRange(header, lines.Count - header);
        lines.AddRange(kept);
    }
}
