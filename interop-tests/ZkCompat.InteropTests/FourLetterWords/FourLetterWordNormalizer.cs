using System.Text.RegularExpressions;

namespace ZkCompat.InteropTests.FourLetterWords;

/// <summary>
/// Makes two servers' answers comparable: numbers, ports, ids, dates, versions and the data directory
/// become placeholders, and lines whose order Java leaves to a hash set are sorted.
/// </summary>
public static partial class FourLetterWordNormalizer
{
    /// <summary>
    /// A line-oriented answer with every value replaced. Runs of member lines (starting with a tab, or
    /// with " /" for connections) are sorted; with <paramref name="sortBlocks"/> so are the blocks
    /// (a head line and its members), for wchp/wchc whose order is a hash map's.
    /// </summary>
    /// <param name="mergeBuckets">
    /// dump: drop the "N expire at date:" lines, so a section's members are compared as one set. Which
    /// bucket a session or connection lands in depends on when it was last touched, to the millisecond.
    /// </param>
    public static string Lines(string answer, string dataDir, bool sortBlocks = false, bool mergeBuckets = false)
    {
        var groups = new List<(string? Head, List<string> Members)>();
        foreach (string raw in answer.Split('\n'))
        {
            // Java leaves emptied expiry buckets in place until they come due; we drop them at once.
            if (EmptyBucket().IsMatch(raw)) continue;
            if (mergeBuckets && Bucket().IsMatch(raw)) continue;
            string line = Value(raw, dataDir);
            bool member = line.StartsWith('\t') || line.StartsWith(" /", StringComparison.Ordinal);
            if (!member) groups.Add((line, []));
            else if (groups.Count == 0) groups.Add((null, [line]));
            else groups[^1].Members.Add(line);
        }
        var rendered = groups.Select(g => string.Join('\n', (g.Head is null ? [] : new[] { g.Head }).Concat(g.Members.Order(StringComparer.Ordinal))));
        if (!sortBlocks) return string.Join('\n', rendered);
        // Empty lines (the answer's end) stay last.
        var list = rendered.ToList();
        return string.Join('\n', list.Where(b => b.Length > 0).Order(StringComparer.Ordinal).Concat(list.Where(b => b.Length == 0)));
    }

    /// <summary>One line with its values replaced by placeholders (selector interest ops in brackets stay).</summary>
    public static string Value(string line, string dataDir)
    {
        if (dataDir.Length > 0) line = line.Replace(dataDir, "<dataDir>", StringComparison.Ordinal);
        line = VersionText().Replace(line, "<version>");
        line = JavaDate().Replace(line, "<date>");
        line = SocketAddress().Replace(line, "/<ip>:<port>");
        line = HexNumber().Replace(line, "0x<hex>");
        line = Number().Replace(line, "<n>");
        return line;
    }

    /// <summary>The keys of a key=value (conf, envi) or key\tvalue (mntr) answer, in order.</summary>
    public static IReadOnlyList<string> Keys(string answer, char separator) =>
        answer.Split('\n').Where(l => l.Contains(separator, StringComparison.Ordinal)).Select(l => l[..l.IndexOf(separator, StringComparison.Ordinal)]).ToList();

    /// <summary>The key=value or key\tvalue pairs of an answer.</summary>
    public static IReadOnlyDictionary<string, string> Pairs(string answer, char separator) =>
        answer.Split('\n').Where(l => l.Contains(separator, StringComparison.Ordinal))
            .ToDictionary(l => l[..l.IndexOf(separator, StringComparison.Ordinal)], l => l[(l.IndexOf(separator, StringComparison.Ordinal) + 1)..]);

    [GeneratedRegex(@"^0 expire at .*:$")]
    private static partial Regex EmptyBucket();

    [GeneratedRegex(@"^\d+ expire at .*:$")]
    private static partial Regex Bucket();

    [GeneratedRegex(@"3\.8\.0-[^,\s]*, built on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")]
    private static partial Regex VersionText();

    [GeneratedRegex(@"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2} \d{2}:\d{2}:\d{2} \S+ \d{4}")]
    private static partial Regex JavaDate();

    [GeneratedRegex(@"/(\d{1,3}\.){3}\d{1,3}:\d+|/\[[0-9a-f:%]+\]:\d+")]
    private static partial Regex SocketAddress();

    [GeneratedRegex(@"0x[0-9a-f]+")]
    private static partial Regex HexNumber();

    // Not inside a name (/fl/e1 stays) nor the 0 of an 0x placeholder.
    [GeneratedRegex(@"(?<![A-Za-z0-9_\[])-?\d+(\.\d+)?(E-?\d+)?(?![0-9x\]])")]
    private static partial Regex Number();
}
