using System.Globalization;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// Names and ordering of the files in a <c>version-2</c> directory (Java's persistence <c>Util</c>):
/// <c>log.&lt;hex zxid&gt;</c>, <c>snapshot.&lt;hex zxid&gt;[.gz|.snappy]</c>, lowercase hex without padding.
/// </summary>
public static class DataDirFiles
{
    public const string LogPrefix = "log";
    public const string SnapshotPrefix = "snapshot";

    /// <summary>The subdirectory every data and log directory keeps its files in.</summary>
    public const string VersionDirectory = "version-2";

    public static string MakeLogName(long zxid) => LogPrefix + "." + zxid.ToString("x", CultureInfo.InvariantCulture);

    public static string MakeSnapshotName(long zxid, SnapshotCompression compression) =>
        SnapshotPrefix + "." + zxid.ToString("x", CultureInfo.InvariantCulture) + compression.FileExtension();

    /// <summary>
    /// The zxid in a file name with <paramref name="prefix"/>, or -1 (Java's <c>getZxidFromName</c>): the
    /// name splits on '.', part one must be the prefix, part two is hex.
    /// </summary>
    public static long GetZxidFromName(string name, string prefix)
    {
        var parts = name.Split('.');
        if (parts.Length < 2 || parts[0] != prefix) return -1;
        return TryParseJavaHexLong(parts[1], out long zxid) ? zxid : -1;
    }

    public static bool IsLogFileName(string name) => name.StartsWith(LogPrefix + ".", StringComparison.Ordinal);

    public static bool IsSnapshotFileName(string name) => name.StartsWith(SnapshotPrefix + ".", StringComparison.Ordinal);

    /// <summary>Files of <paramref name="dir"/> sorted by the zxid in their name (names without one sort as -1).</summary>
    public static List<FileInfo> SortByZxid(DirectoryInfo dir, string prefix, bool ascending)
    {
        FileInfo[] files = dir.Exists ? dir.GetFiles() : [];
        // Both orderings are stable, like Java's Collections.sort.
        return ascending
            ? files.OrderBy(f => GetZxidFromName(f.Name, prefix)).ToList()
            : files.OrderByDescending(f => GetZxidFromName(f.Name, prefix)).ToList();
    }

    /// <summary>
    /// The log files that may hold txns after <paramref name="snapshotZxid"/>: those starting after it,
    /// plus the newest one starting at or before it (Java's <c>FileTxnLog.getLogFiles</c>), ascending.
    /// </summary>
    public static List<FileInfo> GetLogFiles(DirectoryInfo logDir, long snapshotZxid)
    {
        var files = SortByZxid(logDir, LogPrefix, ascending: true);
        long logZxid = 0;
        foreach (var f in files)
        {
            long fzxid = GetZxidFromName(f.Name, LogPrefix);
            if (fzxid > snapshotZxid) break;
            if (fzxid > logZxid) logZxid = fzxid;
        }
        return files.Where(f => GetZxidFromName(f.Name, LogPrefix) >= logZxid).ToList();
    }

    // Long.parseLong(s, 16): optional sign, hex digits, must fit in a signed long.
    private static bool TryParseJavaHexLong(string s, out long value)
    {
        value = 0;
        if (s.Length == 0) return false;
        bool negative = s[0] == '-';
        int start = s[0] is '-' or '+' ? 1 : 0;
        if (start == s.Length) return false;
        // Accumulate negatively, as Java does, so long.MinValue parses.
        long result = 0;
        long limit = negative ? long.MinValue : -long.MaxValue;
        for (int i = start; i < s.Length; i++)
        {
            int digit = HexDigit(s[i]);
            if (digit < 0) return false;
            if (result < limit / 16) return false;
            result *= 16;
            if (result < limit + digit) return false;
            result -= digit;
        }
        value = negative ? result : -result;
        return true;
    }

    private static int HexDigit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
