using System.Globalization;
using System.Text;
using ZkCompat.Client;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;

namespace ZkCompat.InteropTests.Persistence;

/// <summary>
/// A whole tree as one client sees it: for every node, one line with what exists, getData, getACL and
/// getChildren answered (Stat with all eleven fields, data in hex, ACL entries, sorted children, or
/// the error code where the server refused). Two servers serve the same tree exactly when their
/// views are equal line for line.
/// </summary>
internal sealed class TreeView
{
    // Requests in flight per round trip: enough to keep a server busy, few enough to stay under its
    // outstanding-request throttle.
    private const int Window = 250;

    private TreeView(SortedDictionary<string, string> lines, Dictionary<string, Stat> stats, Dictionary<string, byte[]?> data)
    {
        Lines = lines;
        Stats = stats;
        Data = data;
    }

    /// <summary>Path → the line describing that node.</summary>
    public SortedDictionary<string, string> Lines { get; }

    /// <summary>Path → the Stat exists returned.</summary>
    public IReadOnlyDictionary<string, Stat> Stats { get; }

    /// <summary>Path → what getData returned, for the nodes the reader may read.</summary>
    public IReadOnlyDictionary<string, byte[]?> Data { get; }

    public int Count => Lines.Count;

    /// <summary>Reads every node under <paramref name="root"/> (itself included), level by level, pipelining the reads.</summary>
    public static async Task<TreeView> ReadAsync(ZooKeeperClient client, string root, CancellationToken ct)
    {
        var lines = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var stats = new Dictionary<string, Stat>(StringComparer.Ordinal);
        var data = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
        var level = new List<string> { root };
        while (level.Count > 0)
        {
            var next = new List<string>();
            foreach (var chunk in level.Chunk(Window))
            {
                var reads = chunk.Select(path => ReadNodeAsync(client, path, ct)).ToArray();
                foreach (var node in await Task.WhenAll(reads).ConfigureAwait(false))
                {
                    string path = node.Path;
                    lines[path] = node.Line;
                    if (node.Stat is not null) stats[path] = node.Stat;
                    if (node.Readable) data[path] = node.Data;
                    next.AddRange(node.Children.Select(child => path == "/" ? "/" + child : path + "/" + child));
                }
            }
            level = next;
        }
        return new TreeView(lines, stats, data);
    }

    /// <summary>The paths of the nodes whose Stat says <paramref name="sessionId"/> owns them, sorted.</summary>
    public List<string> EphemeralsOf(long sessionId) =>
        Stats.Where(kv => kv.Value.EphemeralOwner == sessionId).Select(kv => kv.Key).Order(StringComparer.Ordinal).ToList();

    /// <summary>The highest zxid any node's Stat mentions (czxid, mzxid, pzxid).</summary>
    public long MaxZxid() => Stats.Values.Select(s => Math.Max(s.Czxid, Math.Max(s.Mzxid, s.Pzxid))).DefaultIfEmpty(0).Max();

    /// <summary>
    /// Every difference from <paramref name="expected"/>: nodes missing, nodes extra, nodes that read
    /// differently (both lines shown). Empty when the views are equal.
    /// </summary>
    public IReadOnlyList<string> DifferencesFrom(TreeView expected)
    {
        var differences = new List<string>();
        foreach (var (path, line) in expected.Lines)
        {
            if (!Lines.TryGetValue(path, out var actual)) differences.Add($"missing {path}\n  expected {line}");
            else if (actual != line) differences.Add($"differs {path}\n  expected {line}\n  actual   {actual}");
        }
        foreach (var (path, line) in Lines)
        {
            if (!expected.Lines.ContainsKey(path)) differences.Add($"extra {path}\n  actual   {line}");
        }
        return differences;
    }

    /// <summary>A failure message: how many differences, and the first <paramref name="max"/> of them.</summary>
    public static string Describe(IReadOnlyList<string> differences, int max = 25) =>
        $"{differences.Count} node(s) differ:\n" + string.Join('\n', differences.Take(max))
        + (differences.Count > max ? $"\n... and {differences.Count - max} more" : "");

    private sealed record NodeRead(string Path, string Line, Stat? Stat, bool Readable, byte[]? Data, IReadOnlyList<string> Children);

    private static async Task<NodeRead> ReadNodeAsync(
        ZooKeeperClient client, string path, CancellationToken ct)
    {
        // All four leave before the first answer comes back.
        var exists = client.ExistsAsync(path, ct: ct);
        var data = Attempt(client.GetDataAsync(path, ct: ct));
        var acl = Attempt(client.GetAclAsync(path, ct));
        var children = Attempt(client.GetChildrenAsync(path, ct: ct));

        Stat? stat = await exists.ConfigureAwait(false);
        var (dataResult, dataError) = await data.ConfigureAwait(false);
        var (aclResult, aclError) = await acl.ConfigureAwait(false);
        var (childResult, childError) = await children.ConfigureAwait(false);

        var sb = new StringBuilder(path);
        sb.Append(" exists=").Append(stat is null ? "null" : Format(stat));
        sb.Append(" getData=");
        if (dataError is not null) sb.Append(dataError);
        else sb.Append(dataResult.Data is null ? "null" : Convert.ToHexString(dataResult.Data)).Append(' ').Append(Format(dataResult.Stat));
        sb.Append(" getACL=");
        if (aclError is not null) sb.Append(aclError);
        else sb.Append('[').AppendJoin(',', aclResult.Acl.Select(Format)).Append("] ").Append(Format(aclResult.Stat));
        sb.Append(" children=");
        IReadOnlyList<string> sorted = childResult is null ? [] : childResult.Order(StringComparer.Ordinal).ToList();
        if (childError is not null) sb.Append(childError);
        else sb.Append('[').AppendJoin(',', sorted).Append(']');
        return new NodeRead(path, sb.ToString(), stat, dataError is null, dataError is null ? dataResult.Data : null, sorted);
    }

    private static async Task<(T Result, string? Error)> Attempt<T>(Task<T> read)
    {
        try
        {
            return (await read.ConfigureAwait(false), null);
        }
        catch (KeeperException e)
        {
            return (default!, "error:" + e.Code);
        }
    }

    public static string Format(Stat s) =>
        "{" + StatField("czxid", Hex(s.Czxid)) + StatField("mzxid", Hex(s.Mzxid)) + StatField("ctime", s.Ctime)
        + StatField("mtime", s.Mtime) + StatField("version", s.Version) + StatField("cversion", s.Cversion)
        + StatField("aversion", s.Aversion) + StatField("ephemeralOwner", Hex(s.EphemeralOwner))
        + StatField("dataLength", s.DataLength) + StatField("numChildren", s.NumChildren) + "pzxid=" + Hex(s.Pzxid) + "}";

    private static string Format(ACL acl) => $"{acl.Perms}:{acl.Id.Scheme}:{acl.Id.IdValue}";

    private static string StatField(string name, object value) =>
        name + "=" + Convert.ToString(value, CultureInfo.InvariantCulture) + ",";

    private static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
