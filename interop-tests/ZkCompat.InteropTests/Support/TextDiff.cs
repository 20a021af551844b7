using System.Text;

namespace ZkCompat.InteropTests.Support;

/// <summary>
/// A line diff for failure messages: when Java and ZkCompat print different transcripts, the reader
/// needs the differing lines in context, not NUnit's "strings differ at index 1834".
/// </summary>
public static class TextDiff
{
    /// <summary>
    /// A unified-style diff of <paramref name="expected"/> against <paramref name="actual"/> ('-' lines only
    /// in expected, '+' only in actual), with <paramref name="context"/> unchanged lines around each change.
    /// Empty when the texts are equal line for line.
    /// </summary>
    public static string Unified(string expected, string actual, string expectedLabel = "java", string actualLabel = "zkcompat",
        int context = 3)
    {
        string[] a = SplitLines(expected);
        string[] b = SplitLines(actual);
        var ops = Diff(a, b);
        if (ops.All(op => op.Kind == ' ')) return "";

        var sb = new StringBuilder();
        sb.Append("--- ").AppendLine(expectedLabel);
        sb.Append("+++ ").AppendLine(actualLabel);
        // Show every change plus `context` unchanged lines either side; elide the rest.
        var show = new bool[ops.Count];
        for (int i = 0; i < ops.Count; i++)
        {
            if (ops[i].Kind == ' ') continue;
            for (int j = Math.Max(0, i - context); j <= Math.Min(ops.Count - 1, i + context); j++) show[j] = true;
        }
        bool eliding = false;
        for (int i = 0; i < ops.Count; i++)
        {
            if (!show[i])
            {
                if (!eliding) sb.AppendLine("...");
                eliding = true;
                continue;
            }
            eliding = false;
            sb.Append(ops[i].Kind).AppendLine(ops[i].Text);
        }
        return sb.ToString();
    }

    private static string[] SplitLines(string text) =>
        text.Length == 0 ? [] : text.Replace("\r\n", "\n").Split('\n');

    private readonly record struct Op(char Kind, string Text);

    // Longest common subsequence; transcripts are a few hundred lines, so O(n*m) is fine.
    private static List<Op> Diff(string[] a, string[] b)
    {
        var lcs = new int[a.Length + 1, b.Length + 1];
        for (int i = a.Length - 1; i >= 0; i--)
        for (int j = b.Length - 1; j >= 0; j--)
            lcs[i, j] = a[i] == b[j] ? lcs[i + 1, j + 1] + 1 : Math.Max(lcs[i + 1, j], lcs[i, j + 1]);

        var ops = new List<Op>();
        int x = 0, y = 0;
        while (x < a.Length && y < b.Length)
        {
            if (a[x] == b[y])
            {
                ops.Add(new Op(' ', a[x]));
                x++;
                y++;
            }
            else if (lcs[x + 1, y] >= lcs[x, y + 1])
            {
                ops.Add(new Op('-', a[x++]));
            }
            else
            {
                ops.Add(new Op('+', b[y++]));
            }
        }
        while (x < a.Length) ops.Add(new Op('-', a[x++]));
        while (y < b.Length) ops.Add(new Op('+', b[y++]));
        return ops;
    }
}
