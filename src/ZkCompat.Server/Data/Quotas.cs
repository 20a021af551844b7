using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Data;

/// <summary>
/// Where a quota lives (Java's <c>Quotas</c>): the quota on <c>/a/b</c> is the pair of nodes
/// <c>/zookeeper/quota/a/b/zookeeper_limits</c> (written by clients) and
/// <c>/zookeeper/quota/a/b/zookeeper_stats</c> (kept up to date by the tree).
/// </summary>
public static class Quotas
{
    public static string QuotaPath(string path) => SpecialPaths.Quota + path;

    public static string LimitPath(string path) => SpecialPaths.Quota + path + "/" + SpecialPaths.QuotaLimitNode;

    public static string StatPath(string path) => SpecialPaths.Quota + path + "/" + SpecialPaths.QuotaStatNode;

    /// <summary>
    /// The quota'd path a node under <c>/zookeeper/quota</c> stands for: the text after that prefix's
    /// length, cut blindly as Java does (so <c>/zookeeper/quotaX</c> gives <c>X</c> and
    /// <c>/zookeeper/quota</c> gives ""). Null where Java's <c>substring</c> would throw.
    /// </summary>
    public static string? TrimQuotaPath(string quotaPath) =>
        quotaPath.Length >= SpecialPaths.Quota.Length ? quotaPath[SpecialPaths.Quota.Length..] : null;
}

/// <summary>
/// The text form of quota limits and usage (Java's <c>StatsTrack</c>):
/// <c>count=4,bytes=5=;byteHardLimit=-1;countHardLimit=10</c>. Unknown keys survive a round trip;
/// a missing key reads as -1.
/// </summary>
public sealed class StatsTrack
{
    private const string CountKey = "count";
    private const string CountHardLimitKey = "countHardLimit";
    private const string BytesKey = "bytes";
    private const string ByteHardLimitKey = "byteHardLimit";

    private readonly Dictionary<string, long> _stats = new(StringComparer.Ordinal);

    public long Count
    {
        get => Get(CountKey);
        set => _stats[CountKey] = value;
    }

    public long Bytes
    {
        get => Get(BytesKey);
        set => _stats[BytesKey] = value;
    }

    public long CountHardLimit
    {
        get => Get(CountHardLimitKey);
        set => _stats[CountHardLimitKey] = value;
    }

    public long ByteHardLimit
    {
        get => Get(ByteHardLimitKey);
        set => _stats[ByteHardLimitKey] = value;
    }

    /// <summary>Every key read or set, unknown ones included.</summary>
    public IReadOnlyDictionary<string, long> Values => _stats;

    /// <summary>Parses node data (UTF-8).</summary>
    /// <exception cref="FormatException">Null data, or text Java's parser throws on.</exception>
    public static StatsTrack Parse(byte[]? data) =>
        data is null ? throw new FormatException("quota data is null") : Parse(Encoding.UTF8.GetString(data));

    /// <summary>
    /// Java's parser: pairs split on runs of ',' or ';', each pair split on '=' with Java's
    /// <c>String.split</c> rules (trailing empty pieces dropped); an empty value reads as -1, a later
    /// duplicate key wins, anything after the second '=' is ignored (the "bytes=5=" trick).
    /// </summary>
    /// <exception cref="FormatException">A pair without a value, or a value that is not a long.</exception>
    public static StatsTrack Parse(string? text)
    {
        var track = new StatsTrack();
        if (string.IsNullOrEmpty(text)) return track;
        foreach (string pair in JavaSplit(text, static c => c is ',' or ';', collapseRuns: true))
        {
            var kv = JavaSplit(pair, static c => c == '=', collapseRuns: false);
            if (kv.Count < 2) throw new FormatException($"quota entry without a value: \"{pair}\"");
            track._stats[kv[0]] = kv[1].Length == 0 ? -1 : ParseJavaLong(kv[1]);
        }
        return track;
    }

    /// <summary>Parse that answers false instead of throwing.</summary>
    public static bool TryParse(byte[]? data, out StatsTrack track)
    {
        try
        {
            track = Parse(data);
            return true;
        }
        catch (FormatException)
        {
            track = new StatsTrack();
            return false;
        }
    }

    /// <summary>
    /// count and bytes first (always, -1 when unset), then, only if other keys exist, a stray '='
    /// and the rest as ";key=value" in ordinal order: the layout 3.4 parsers still read.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CountKey).Append('=').Append(Count.ToString(CultureInfo.InvariantCulture));
        text.Append(',').Append(BytesKey).Append('=').Append(Bytes.ToString(CultureInfo.InvariantCulture));
        var others = _stats.Keys.Where(k => k is not (CountKey or BytesKey)).ToList();
        if (others.Count > 0)
        {
            text.Append('=');
            others.Sort(StringComparer.Ordinal);
            foreach (string key in others)
                text.Append(';').Append(key).Append('=').Append(_stats[key].ToString(CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    public byte[] ToBytes() => Encoding.UTF8.GetBytes(ToString());

    private long Get(string key) => _stats.TryGetValue(key, out long value) ? value : -1;

    // Long.parseLong: an optional sign and ASCII digits, nothing else.
    private static long ParseJavaLong(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
            ? value
            : throw new FormatException($"For input string: \"{text}\"");

    /// <summary>
    /// Java's split with limit 0: no separator ⇒ the input itself; a separator at the start gives a
    /// leading ""; trailing empty pieces are dropped (so "=" gives nothing at all).
    /// </summary>
    private static List<string> JavaSplit(string text, Func<char, bool> isSeparator, bool collapseRuns)
    {
        var pieces = new List<string>();
        int start = 0;
        bool matched = false;
        for (int i = 0; i < text.Length;)
        {
            if (!isSeparator(text[i]))
            {
                i++;
                continue;
            }
            matched = true;
            pieces.Add(text[start..i]);
            i++;
            if (collapseRuns)
            {
                while (i < text.Length && isSeparator(text[i])) i++;
            }
            start = i;
        }
        if (!matched) return [text];
        pieces.Add(text[start..]);
        while (pieces.Count > 0 && pieces[^1].Length == 0) pieces.RemoveAt(pieces.Count - 1);
        return pieces;
    }
}

/// <summary>
/// The quota'd paths (Java's <c>PathTrie</c>): a trie of path components where a marked node is a
/// path with a quota. The apply thread changes it, the prep thread reads it.
/// </summary>
public sealed class PathTrie
{
    private sealed class TrieNode(TrieNode? parent, string value)
    {
        public string Value { get; } = value;
        public TrieNode? Parent { get; set; } = parent;
        public bool HasProperty { get; set; }
        public Dictionary<string, TrieNode> Children { get; } = new(StringComparer.Ordinal);
    }

    private readonly Lock _sync = new();
    private readonly TrieNode _root = new(null, "/");

    /// <summary>Marks <paramref name="path"/>, adding the components it lacks.</summary>
    /// <exception cref="ArgumentException">Empty path.</exception>
    public void AddPath(string path)
    {
        var components = Split(RequireNonEmpty(path));
        lock (_sync)
        {
            var node = _root;
            foreach (string part in components)
            {
                if (!node.Children.TryGetValue(part, out var child))
                {
                    child = new TrieNode(node, part);
                    node.Children.Add(part, child);
                }
                node = child;
            }
            node.HasProperty = true;
        }
    }

    /// <summary>Unmarks <paramref name="path"/>, and drops its node if it has no children. Unknown paths are ignored.</summary>
    /// <exception cref="ArgumentException">Empty path.</exception>
    public void DeletePath(string path)
    {
        var components = Split(RequireNonEmpty(path));
        lock (_sync)
        {
            var node = _root;
            foreach (string part in components)
            {
                if (!node.Children.TryGetValue(part, out var child)) return;
                node = child;
            }
            // Java dereferences the root's missing parent here ("/" has no components); nothing to do.
            var parent = node.Parent;
            if (parent is null) return;
            node.HasProperty = false;
            if (node.Children.Count == 0)
            {
                node.Parent = null;
                parent.Children.Remove(node.Value);
            }
        }
    }

    /// <summary>Whether the trie holds a node for <paramref name="path"/>, marked or not.</summary>
    /// <exception cref="ArgumentException">Empty path.</exception>
    public bool ExistsNode(string path)
    {
        var components = Split(RequireNonEmpty(path));
        lock (_sync)
        {
            var node = _root;
            foreach (string part in components)
            {
                if (!node.Children.TryGetValue(part, out var child)) return false;
                node = child;
            }
            return true;
        }
    }

    /// <summary>The deepest marked path that is a prefix (by components) of <paramref name="path"/>, or "/" if none.</summary>
    public string FindMaxPrefix(string path)
    {
        var components = Split(path);
        lock (_sync)
        {
            var node = _root;
            TrieNode? deepest = null;
            foreach (string part in components)
            {
                if (!node.Children.TryGetValue(part, out var child)) break;
                node = child;
                if (node.HasProperty) deepest = node;
            }
            if (deepest is null) return "/";

            var names = new List<string>();
            for (var n = deepest; n != _root && n is not null; n = n.Parent) names.Add(n.Value);
            names.Reverse();
            return "/" + string.Join('/', names);
        }
    }

    public void Clear()
    {
        lock (_sync) _root.Children.Clear();
    }

    private static string RequireNonEmpty(string path) =>
        path.Length == 0 ? throw new ArgumentException("Invalid path: " + path, nameof(path)) : path;

    // Java drops components that String.trim() would empty, i.e. made only of chars <= ' '.
    private static List<string> Split(string path) =>
        path.Split('/').Where(part => part.Any(c => c > ' ')).ToList();
}
