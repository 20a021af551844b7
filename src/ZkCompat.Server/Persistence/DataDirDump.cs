using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using ZkCompat.Server.Config;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// <c>zkcompat dump dataDir [dataLogDir]</c>: restores a data directory without changing it and prints
/// the result in a canonical form (sorted paths, data in hex, ACLs, persisted stat, sessions, zxid,
/// digest) that a Java program can print identically, so two restores can be compared line by line.
/// </summary>
public static class DataDirDump
{
    public static int RunCommand(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count is < 1 or > 2)
        {
            stderr.WriteLine("Usage: dump dataDir [dataLogDir]");
            return 1;
        }
        var options = new ServerOptions
        {
            DataDir = args[0],
            DataLogDir = args.Count > 1 ? args[1] : args[0],
            DataDirAutoCreate = false,
            ExtendedTypesEnabled = true,
        };
        try
        {
            var (tree, sessions, zxid) = Load(options);
            Write(stdout, tree, sessions, zxid);
            return 0;
        }
        catch (IOException e)
        {
            stderr.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>Restores read-only: no directories, snapshots or truncations are made.</summary>
    public static (DataTree Tree, IReadOnlyDictionary<long, int> Sessions, long Zxid) Load(ServerOptions options)
    {
        var snapLogOptions = ZkDatabase.SnapLogOptions(options) with { ReadOnly = true };
        using var snapLog = new FileTxnSnapLog(options.DataLogDir, options.DataDir, snapLogOptions, TimeProvider.System, NullLoggerFactory.Instance);
        var sessions = new Dictionary<long, int>();
        var (tree, result) = snapLog.Restore(
            () => new DataTree(options.ExtendedTypesEnabled, options.Emulate353TtlNodes) { DigestEnabled = options.TreeDigestEnabled },
            sessions);
        return (tree, sessions, result.Zxid);
    }

    /// <summary>The canonical text of a restored database.</summary>
    public static void Write(TextWriter output, DataTree tree, IReadOnlyDictionary<long, int> sessions, long zxid)
    {
        output.Write(Format(tree, sessions, zxid));
    }

    public static string Format(DataTree tree, IReadOnlyDictionary<long, int> sessions, long zxid)
    {
        var sb = new StringBuilder();
        sb.Append("zxid 0x").Append(Hex(zxid)).Append('\n');
        sb.Append("digest ").Append(tree.TreeDigest.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (var (id, timeout) in sessions.OrderBy(s => s.Key))
            sb.Append("session 0x").Append(Hex(id)).Append(' ').Append(timeout.ToString(CultureInfo.InvariantCulture)).Append('\n');

        var paths = new List<string>();
        var pending = new Stack<string>();
        pending.Push("/");
        while (pending.Count > 0)
        {
            string path = pending.Pop();
            var node = tree.GetNode(path);
            if (node is null) continue;
            paths.Add(path);
            foreach (var child in node.Children) pending.Push(path == "/" ? "/" + child : path + "/" + child);
        }
        paths.Sort(StringComparer.Ordinal);
        foreach (string path in paths)
        {
            var node = tree.GetNode(path)!;
            var stat = node.CopyStatPersisted();
            byte[]? data;
            int children;
            lock (node.Sync)
            {
                data = node.Data;
                children = node.ChildCount;
            }
            sb.Append(path)
                .Append(" data=").Append(data is null ? "null" : Convert.ToHexStringLower(data))
                .Append(" acl=").Append(string.Join(',', tree.GetACL(node).Select(a =>
                    a.Perms.ToString(CultureInfo.InvariantCulture) + ":" + a.Id.Scheme + ":" + a.Id.IdValue)))
                .Append(" czxid=0x").Append(Hex(stat.Czxid))
                .Append(" mzxid=0x").Append(Hex(stat.Mzxid))
                .Append(" pzxid=0x").Append(Hex(stat.Pzxid))
                .Append(" ctime=").Append(stat.Ctime.ToString(CultureInfo.InvariantCulture))
                .Append(" mtime=").Append(stat.Mtime.ToString(CultureInfo.InvariantCulture))
                .Append(" version=").Append(stat.Version.ToString(CultureInfo.InvariantCulture))
                .Append(" cversion=").Append(stat.Cversion.ToString(CultureInfo.InvariantCulture))
                .Append(" aversion=").Append(stat.Aversion.ToString(CultureInfo.InvariantCulture))
                .Append(" ephemeralOwner=0x").Append(Hex(stat.EphemeralOwner))
                .Append(" numChildren=").Append(children.ToString(CultureInfo.InvariantCulture))
                .Append('\n');
        }
        return sb.ToString();
    }

    private static string Hex(long value) => value.ToString("x", CultureInfo.InvariantCulture);
}
