using System.Text;

namespace ZkCompat.InteropTests.ZkCli;

/// <summary>
/// What zkCli printed for one command: its own output in the order printed, and the watch events that
/// arrived while it ran, in arrival order. Events come from zkCli's event thread and may interleave
/// with the command's output anywhere, so they are kept apart and rendered after it.
/// </summary>
public sealed record ZkCliStepOutput(string Command, IReadOnlyList<string> Output, IReadOnlyList<string> Events, string? Problem)
{
    /// <summary>The heading of the session's opening output, before the first command.</summary>
    public const string SessionStart = "(session start)";
}

/// <summary>A whole zkCli session: every step's output plus the raw text zkCli printed.</summary>
public sealed record ZkCliTranscript(IReadOnlyList<ZkCliStepOutput> Steps, string RawOutput, int? ExitCode)
{
    /// <summary>
    /// The transcript as compared: <c>&gt; command</c>, then its output, then <c>WATCHER:: event</c> lines,
    /// and a <c>!! problem</c> line where the runner gave up waiting.
    /// </summary>
    public string Render()
    {
        var sb = new StringBuilder();
        foreach (ZkCliStepOutput step in Steps)
        {
            sb.Append("> ").Append(step.Command).Append('\n');
            foreach (string line in step.Output) sb.Append(line).Append('\n');
            foreach (string e in step.Events) sb.Append("WATCHER:: ").Append(e).Append('\n');
            if (step.Problem is not null) sb.Append("!! ").Append(step.Problem).Append('\n');
        }
        return sb.ToString();
    }
}
