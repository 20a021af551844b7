using System.Text.RegularExpressions;

namespace ZkCompat.InteropTests.ZkCli;

/// <summary>One zkCli command and how many watch events it must produce before the next command is sent.</summary>
public sealed record ZkCliStep(string Command, int ExpectedEvents = 0);

/// <summary>
/// A zkCli session as text, one command per line, run in a single zkCli process:
/// <list type="bullet">
/// <item>blank lines and lines starting with <c>#</c> are ignored;</item>
/// <item>a command ending in <c># 1 event</c> / <c># 2 events</c> produces that many <c>WATCHER::</c> events
/// (triggered watches, session state changes), and the runner waits for them before going on;</item>
/// <item><c>{server}</c> stands for the server's connect string (for <c>connect {server}</c>).</item>
/// </list>
/// </summary>
public sealed partial record ZkCliScript
{
    private ZkCliScript(string name, IReadOnlyList<ZkCliStep> steps, IReadOnlyList<string> expectedInJava)
    {
        Name = name;
        Steps = steps;
        ExpectedInJava = expectedInJava;
    }

    public string Name { get; }

    public IReadOnlyList<ZkCliStep> Steps { get; }

    /// <summary>
    /// Lines the normalised Java transcript must contain: proof that the script exercises what it claims
    /// (a typo in a command would otherwise compare "equal" as the same error on both servers).
    /// </summary>
    public IReadOnlyList<string> ExpectedInJava { get; }

    /// <summary>Whether the servers need <c>extendedTypesEnabled=true</c> (TTL nodes).</summary>
    public bool NeedsExtendedTypes { get; init; }

    /// <summary>Further zoo.cfg lines both servers get.</summary>
    public IReadOnlyDictionary<string, string> ExtraConfig { get; init; } = new Dictionary<string, string>();

    public static ZkCliScript Parse(string name, string text, params string[] expectedInJava)
    {
        var steps = new List<ZkCliStep>();
        foreach (string raw in text.Replace("\r\n", "\n").Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            Match m = EventsSuffix().Match(line);
            steps.Add(m.Success
                ? new ZkCliStep(m.Groups["command"].Value, int.Parse(m.Groups["count"].Value, System.Globalization.CultureInfo.InvariantCulture))
                : new ZkCliStep(line));
        }
        return new ZkCliScript(name, steps, expectedInJava);
    }

    public override string ToString() => Name;

    [GeneratedRegex(@"^(?<command>.*?)\s+#\s*(?<count>\d+)\s+events?$")]
    private static partial Regex EventsSuffix();
}
