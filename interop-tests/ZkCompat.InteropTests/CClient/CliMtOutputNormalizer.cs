using System.Text.RegularExpressions;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.CClient;

/// <summary>
/// Makes a rendered <c>cli_mt</c> transcript comparable across servers and runs:
/// <list type="bullet">
/// <item><c>time = N msec</c> lines (client-side latency) and the C client's own log lines are dropped;</item>
/// <item><c>czxid</c>/<c>mzxid</c> (hex without 0x) become <c>&lt;zxid1&gt;</c>... by first appearance; 0 stays;</item>
/// <item>session ids (<c>Got a new session id</c>, <c>ephemeralOwner</c>) become <c>&lt;session1&gt;</c>...; 0 stays;</item>
/// <item><c>ctime</c>/<c>mtime</c> become <c>&lt;time&gt;</c> except the epoch;</item>
/// <item>the children <c>ls</c>/<c>ls2</c> print are sorted: cli_mt prints them in the server's order, which
/// for Java is the iteration order of a <c>HashSet</c> (zkCli sorts them itself).</item>
/// </list>
/// </summary>
public static partial class CliMtOutputNormalizer
{
    /// <summary>How <c>ctime_r</c> prints time 0 in UTC (without its trailing newline).</summary>
    public const string Epoch = "Thu Jan  1 00:00:00 1970";

    public static string Normalize(string transcript)
    {
        var zxids = new OrdinalLabels("zxid");
        var sessions = new OrdinalLabels("session");
        var steps = TranscriptSteps.Split(transcript);
        foreach (TranscriptStep step in steps)
        {
            SortChildren(step);
            step.Lines.RemoveAll(l => CliMtRunner.ElapsedTime().IsMatch(l) || LogLine().IsMatch(l));
            for (int i = 0; i < step.Lines.Count; i++)
            {
                string line = step.Lines[i];
                line = Zxid().Replace(line, m => m.Groups["value"].Value == "0" ? m.Value : m.Groups["key"].Value + zxids.For(m.Groups["value"].Value));
                line = Time().Replace(line, m => m.Groups["value"].Value == Epoch ? m.Value : m.Groups["key"].Value + "<time>");
                line = Owner().Replace(line, m => m.Groups["value"].Value == "0" ? m.Value : m.Groups["key"].Value + sessions.For(m.Groups["value"].Value));
                step.Lines[i] = line;
            }
        }
        return TranscriptSteps.Join(steps);
    }

    // The strings completion prints "path: rc = N", one "\tchild" line per child, then the elapsed time.
    private static void SortChildren(TranscriptStep step)
    {
        if (!step.Command.StartsWith("ls ", StringComparison.Ordinal) && !step.Command.StartsWith("ls2 ", StringComparison.Ordinal)) return;
        int rc = step.Lines.FindIndex(l => l.Contains(": rc = ", StringComparison.Ordinal));
        if (rc < 0) return;
        int end = rc + 1;
        while (end < step.Lines.Count && step.Lines[end].StartsWith('\t')) end++;
        TranscriptSteps.SortRange(step.Lines, rc + 1, end);
    }

    // e.g. "2026-11-25 13:21:03,967:9876(0x7fbde28886c0):ZOO_ERROR@check_events@2985: ..."
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}:\d+\(0x[0-9a-fA-F]+\):ZOO_")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"^(?<key>\t[cm]zxid=)(?<value>[0-9a-fA-F]+)$")]
    private static partial Regex Zxid();

    [GeneratedRegex(@"^(?<key>\tctime = |\tmtime=)(?<value>.+)$")]
    private static partial Regex Time();

    [GeneratedRegex(@"^(?<key>\tephemeralOwner = |Got a new session id: 0x)(?<value>[0-9a-fA-F]+)$")]
    private static partial Regex Owner();
}
