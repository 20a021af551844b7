using System.Globalization;

namespace ZkCompat.Server.Network.Commands;

/// <summary>
/// Open and maximum file descriptors of this process (Java's <c>OSMXBean</c>), read from /proc;
/// -1 where /proc is not there, as Java reports on platforms it cannot ask.
/// </summary>
public static class ProcessFiles
{
    public static long OpenCount()
    {
        try
        {
            if (!Directory.Exists("/proc/self/fd")) return -1;
            // Listing the folder takes a descriptor of its own, which Java does not count either.
            return Math.Max(0, Directory.EnumerateFileSystemEntries("/proc/self/fd").LongCount() - 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>The soft RLIMIT_NOFILE: the "Max open files" line of /proc/self/limits.</summary>
    public static long MaxCount()
    {
        try
        {
            if (!File.Exists("/proc/self/limits")) return -1;
            foreach (string line in File.ReadLines("/proc/self/limits"))
            {
                if (!line.StartsWith("Max open files", StringComparison.Ordinal)) continue;
                string[] fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 0) return -1;
                // "unlimited" is RLIM_INFINITY, all bits set, which Java's cast to long prints as -1.
                return long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out long soft) ? soft : -1;
            }
            return -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }
}
