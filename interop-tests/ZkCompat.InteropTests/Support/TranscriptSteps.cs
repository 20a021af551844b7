using System.Text;

namespace ZkCompat.InteropTests.Support;

/// <summary>One command of a rendered transcript: its <c>&gt; command</c> heading and the lines after it.</summary>
public sealed record TranscriptStep(string Command, List<string> Lines);

/// <summary>
/// Splits a rendered transcript (<c>&gt; command</c> headings, each followed by that command's lines) into
/// steps and joins it back, so normalisers can treat a command's output as a block.
/// </summary>
public static class TranscriptSteps
{
    public const string HeadingPrefix = "> ";

    public static List<TranscriptStep> Split(string transcript)
    {
        var steps = new List<TranscriptStep>();
        string[] lines = transcript.Replace("\r\n", "\n").Split('\n');
        // A trailing newline leaves one empty piece that is not a line of output.
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        for (int i = 0; i < count; i++)
        {
            string line = lines[i];
            if (line.StartsWith(HeadingPrefix, StringComparison.Ordinal)) steps.Add(new TranscriptStep(line[HeadingPrefix.Length..], []));
            else if (steps.Count == 0) steps.Add(new TranscriptStep("", [line]));
            else steps[^1].Lines.Add(line);
        }
        return steps;
    }

    public static string Join(IEnumerable<TranscriptStep> steps)
    {
        var sb = new StringBuilder();
        foreach (TranscriptStep step in steps)
        {
            sb.Append(HeadingPrefix).Append(step.Command).Append('\n');
            foreach (string line in step.Lines) sb.Append(line).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>Sorts <paramref name="lines"/>[<paramref name="start"/>..<paramref name="end"/>) in place, ordinally.</summary>
    public static void SortRange(List<string> lines, int start, int end)
    {
        if (end - start > 1) lines.Sort(start, end - start, StringComparer.Ordinal);
    }
}
