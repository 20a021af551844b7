using System.Text;
using System.Text.RegularExpressions;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.CClient;

/// <summary>What <c>cli_mt</c> printed for one command (watch events included, in the order printed).</summary>
public sealed record CliMtStepOutput(string Command, IReadOnlyList<string> Lines, string? Problem);

/// <summary>A whole <c>cli_mt</c> session.</summary>
public sealed record CliMtTranscript(IReadOnlyList<CliMtStepOutput> Steps, string RawOutput)
{
    /// <summary><c>&gt; command</c> then its lines, and <c>!! problem</c> where the runner gave up waiting.</summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (CliMtStepOutput step in Steps)
        {
            sb.Append("> ").Append(step.Command).Append('\n');
            foreach (string line in step.Lines) sb.Append(line).Append('\n');
            if (step.Problem is not null) sb.Append("!! ").Append(step.Problem).Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>
/// Drives the ZooKeeper C client shell <c>cli_mt</c> (Debian's <c>zookeeper-bin</c>) through stdin.
/// </summary>
/// <remarks>
/// cli_mt sends each command asynchronously and prints the result from its completion thread, which
/// also runs the watcher; all of it goes to stderr (merged into stdout here). The runner sends one
/// command, waits until the line that ends that command's completion has been printed (the rule
/// depends on the command, see <see cref="IsComplete"/>), and only then sends the next, so the output
/// of different commands never interleaves. Watch events the server sends before a reply are printed
/// before that reply's completion and so land in the step that triggered them.
/// </remarks>
public static partial class CliMtRunner
{
    public static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(15);

    public const string SessionStart = "(session start)";

    public static async Task<CliMtTranscript> RunAsync(string connectString, IReadOnlyList<string> commands,
        CancellationToken cancellationToken = default)
    {
        string cliMt = DebianFiles.CliMt;
        await using var cli = ChildProcess.StartMerged(cliMt, [connectString], new ChildProcessOptions
        {
            RedirectStandardInput = true,
            // ctime_r prints local time; UTC makes the epoch print the same everywhere.
            Environment = new Dictionary<string, string?> { ["TZ"] = "UTC" },
        });

        var steps = new List<CliMtStepOutput>();
        int next = 0;

        async Task<CliMtStepOutput> CollectAsync(string heading, Func<IReadOnlyList<string>, bool> complete)
        {
            bool done = await cli.WaitForLinesAsync(next, complete, StepTimeout, cancellationToken).ConfigureAwait(false);
            IReadOnlyList<string> lines = cli.LinesFrom(next);
            next += lines.Count;
            string? problem = done ? null : cli.HasExited ? "cli_mt exited" : $"no complete answer within {StepTimeout.TotalSeconds:F0}s";
            return new CliMtStepOutput(heading, lines, problem);
        }

        steps.Add(await CollectAsync(SessionStart, lines => lines.Any(l => l.StartsWith("Got a new session id:", StringComparison.Ordinal)))
            .ConfigureAwait(false));
        foreach (string command in commands)
        {
            if (steps[^1].Problem is not null)
            {
                steps.Add(new CliMtStepOutput(command, [], "not run"));
                continue;
            }
            await cli.WriteLineAsync(command, cancellationToken).ConfigureAwait(false);
            if (command == "quit")
            {
                bool exited = await cli.WaitForExitAsync(StepTimeout, cancellationToken).ConfigureAwait(false);
                IReadOnlyList<string> rest = cli.LinesFrom(next);
                next += rest.Count;
                steps.Add(new CliMtStepOutput(command, rest, exited ? null : "cli_mt did not exit"));
                continue;
            }
            steps.Add(await CollectAsync(command, lines => IsComplete(command, lines)).ConfigureAwait(false));
        }
        return new CliMtTranscript(steps, cli.Output);
    }

    /// <summary>
    /// Whether <paramref name="lines"/> (everything printed since <paramref name="command"/> was sent) hold
    /// the last line of its completion, whatever the result code. From cli.c's completion functions.
    /// </summary>
    public static bool IsComplete(string command, IReadOnlyList<string> lines)
    {
        string verb = command.Split(' ', 2)[0];
        string path = command.Split(' ').Skip(1).FirstOrDefault(a => a.StartsWith('/')) ?? "";
        switch (verb)
        {
            case "create":
                // string completion: "[path]: rc = N", then "\tname = ..." only when N is 0
                return lines.Any(l => l.StartsWith("\tname = ", StringComparison.Ordinal))
                    || lines.Any(l => FailedStringCompletion().IsMatch(l));
            case "create2":
            case "get":
            case "set":
            case "ls2":
            case "config":
                // these end with a Stat dump, or "null" when there is no Stat
                return lines.Any(l => l.StartsWith("\tephemeralOwner = ", StringComparison.Ordinal) || l == "null");
            case "ls":
                // strings completion: elapsed time, "path: rc = N", children, elapsed time again
                return lines.Count(l => ElapsedTime().IsMatch(l)) >= 2;
            case "delete":
                return lines.Any(l => l.StartsWith(path + ": rc = ", StringComparison.Ordinal));
            default:
                throw new ArgumentException($"cli_mt command '{verb}' has no completion rule; add one before using it", nameof(command));
        }
    }

    [GeneratedRegex(@"^\[.*\]: rc = -\d+$")]
    private static partial Regex FailedStringCompletion();

    [GeneratedRegex(@"^time = -?\d+ msec$")]
    internal static partial Regex ElapsedTime();
}
