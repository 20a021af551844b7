using System.Text.RegularExpressions;
using ZkCompat.InteropTests.Support;

namespace ZkCompat.InteropTests.ZkCli;

/// <summary>
/// Makes a rendered zkCli transcript comparable across servers and runs. What differs by nature is
/// replaced; everything the server decides (data, versions, counts, ACLs, error codes, events, the
/// order of commands' output) is kept:
/// <list type="bullet">
/// <item>zxids (<c>cZxid</c>/<c>mZxid</c>/<c>pZxid</c>) become <c>&lt;zxid1&gt;</c>, <c>&lt;zxid2&gt;</c>, ... by first
/// appearance, so equal zxids stay equal; <c>0x0</c> stays;</item>
/// <item>session ids (<c>ephemeralOwner</c>) likewise become <c>&lt;session1&gt;</c>...; <c>0x0</c> stays;</item>
/// <item><c>ctime</c>/<c>mtime</c> become <c>&lt;time&gt;</c>, except the epoch (nodes ZooKeeper makes at startup);</item>
/// <item>the server's port becomes <c>&lt;port&gt;</c>;</item>
/// <item>the list <c>getEphemerals</c> prints and the identities <c>whoami</c> prints are sorted: Java returns
/// them in the iteration order of a <c>HashSet</c> / <c>ConcurrentHashMap</c>, an accident of hashing that no
/// client can rely on;</item>
/// <item>JVM and SLF4J start-up chatter is dropped.</item>
/// </list>
/// </summary>
public static partial class ZkCliOutputNormalizer
{
    /// <summary>How <c>java.util.Date</c> prints time 0 in UTC (zkCli runs with TZ=UTC).</summary>
    public const string Epoch = "Thu Jan 01 00:00:00 UTC 1970";

    private const string WhoAmIHeader = "Auth scheme: User";

    public static string Normalize(string transcript)
    {
        var zxids = new OrdinalLabels("zxid");
        var sessions = new OrdinalLabels("session");
        var steps = TranscriptSteps.Split(transcript);
        foreach (TranscriptStep step in steps)
        {
            step.Lines.RemoveAll(IsNoise);
            SortUnorderedOutput(step);
            for (int i = 0; i < step.Lines.Count; i++)
            {
                string line = Port().Replace(step.Lines[i], "127.0.0.1:<port>");
                line = Zxid().Replace(line, m => m.Groups["value"].Value == "0x0" ? m.Value : m.Groups["key"].Value + " = " + zxids.For(m.Groups["value"].Value));
                line = Time().Replace(line, m => m.Groups["value"].Value == Epoch ? m.Value : m.Groups["key"].Value + " = <time>");
                line = Owner().Replace(line, m => m.Groups["value"].Value == "0x0" ? m.Value : "ephemeralOwner = " + sessions.For(m.Groups["value"].Value));
                step.Lines[i] = line;
            }
        }
        return TranscriptSteps.Join(steps);
    }

    private static void SortUnorderedOutput(TranscriptStep step)
    {
        if (step.Command.StartsWith("getEphemerals", StringComparison.Ordinal))
        {
            for (int i = 0; i < step.Lines.Count; i++) step.Lines[i] = SortList(step.Lines[i]);
        }
        else if (step.Command.StartsWith("whoami", StringComparison.Ordinal))
        {
            int header = step.Lines.IndexOf(WhoAmIHeader);
            if (header < 0) return;
            int end = header + 1;
            while (end < step.Lines.Count && IdentityLine().IsMatch(step.Lines[end])) end++;
            TranscriptSteps.SortRange(step.Lines, header + 1, end);
        }
    }

    /// <summary><c>[b, a]</c> becomes <c>[a, b]</c>; other lines are returned as they are.</summary>
    private static string SortList(string line)
    {
        if (line.Length < 2 || line[0] != '[' || line[^1] != ']') return line;
        var items = line[1..^1].Split(", ", StringSplitOptions.RemoveEmptyEntries);
        Array.Sort(items, StringComparer.Ordinal);
        return "[" + string.Join(", ", items) + "]";
    }

    private static bool IsNoise(string line) =>
        line.StartsWith("SLF4J:", StringComparison.Ordinal)
        || line.StartsWith("Picked up JAVA_TOOL_OPTIONS", StringComparison.Ordinal)
        || line.StartsWith("Picked up _JAVA_OPTIONS", StringComparison.Ordinal)
        || line.StartsWith("Picked up JDK_JAVA_OPTIONS", StringComparison.Ordinal);

    [GeneratedRegex(@"127\.0\.0\.1:\d+")]
    private static partial Regex Port();

    [GeneratedRegex(@"^(?<key>cZxid|mZxid|pZxid) = (?<value>0x[0-9a-fA-F]+)$")]
    private static partial Regex Zxid();

    [GeneratedRegex(@"^(?<key>ctime|mtime) = (?<value>.+)$")]
    private static partial Regex Time();

    [GeneratedRegex(@"^ephemeralOwner = (?<value>0x[0-9a-fA-F]+)$")]
    private static partial Regex Owner();

    // "scheme: user", as WhoAmICommand prints each ClientInfo
    [GeneratedRegex(@"^[A-Za-z0-9_.-]+: ")]
    private static partial Regex IdentityLine();
}
