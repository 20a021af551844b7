using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// Removes old snapshots and the logs only they needed (Java's <c>PurgeTxnLog</c>, run by
/// autopurge and by <c>zkCleanup.sh</c>): keeps the <c>count</c> newest snapshots that pass the
/// quick validity check, and every log file holding txns after the oldest of them.
/// </summary>
public static class PurgeTxnLog
{
    public const int MinRetainCount = 3;
    public const string CountError = "count should be greater than or equal to 3";

    /// <summary>Purges; returns the files removed.</summary>
    /// <param name="dataLogDir">The configured log directory (its <c>version-2</c> is used).</param>
    /// <param name="snapDir">The configured data directory.</param>
    /// <exception cref="ArgumentException"><paramref name="retainCount"/> is below 3.</exception>
    public static IReadOnlyList<FileInfo> Purge(string dataLogDir, string snapDir, int retainCount, ILogger? log = null)
    {
        if (retainCount < MinRetainCount) throw new ArgumentException(CountError, nameof(retainCount));
        var logDir = new DirectoryInfo(Path.Combine(dataLogDir, DataDirFiles.VersionDirectory));
        var snapshots = new DirectoryInfo(Path.Combine(snapDir, DataDirFiles.VersionDirectory));

        var retained = SnapshotFile.FindValidSnapshots(snapshots, retainCount);
        if (retained.Count == 0) return [];
        long leastZxidToRetain = DataDirFiles.GetZxidFromName(retained[^1].Name, DataDirFiles.SnapshotPrefix);

        // The logs that replay from the oldest kept snapshot reads.
        var neededLogs = DataDirFiles.GetLogFiles(logDir, leastZxidToRetain).Select(f => f.FullName).ToHashSet(StringComparer.Ordinal);

        var doomed = new List<FileInfo>();
        doomed.AddRange(Older(logDir, DataDirFiles.LogPrefix, leastZxidToRetain, neededLogs));
        doomed.AddRange(Older(snapshots, DataDirFiles.SnapshotPrefix, leastZxidToRetain, neededLogs));
        foreach (var f in doomed)
        {
            if (log is not null) LogRemoving(log, f.LastWriteTime.ToString(CultureInfo.InvariantCulture), f.FullName);
            f.Delete();
        }
        return doomed;
    }

    private static IEnumerable<FileInfo> Older(DirectoryInfo dir, string prefix, long leastZxidToRetain, HashSet<string> kept)
    {
        if (!dir.Exists) yield break;
        foreach (var f in dir.GetFiles())
        {
            if (!f.Name.StartsWith(prefix + ".", StringComparison.Ordinal) || kept.Contains(f.FullName)) continue;
            if (DataDirFiles.GetZxidFromName(f.Name, prefix) < leastZxidToRetain) yield return f;
        }
    }

    /// <summary>
    /// <c>zkcompat purge dataLogDir [snapDir] -n count</c>, with <c>PurgeTxnLog.main</c>'s checks and
    /// messages. Returns the process exit code.
    /// </summary>
    public static int RunCommand(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Count is < 3 or > 4) return Usage(stdout);
        string dataLogDir = args[0];
        string snapDir = dataLogDir;
        string countOption;
        string countText;
        if (args.Count == 3)
        {
            countOption = args[1];
            countText = args[2];
        }
        else
        {
            snapDir = args[1];
            countOption = args[2];
            countText = args[3];
        }
        foreach (string dir in args.Count == 3 ? new[] { dataLogDir } : [dataLogDir, snapDir])
        {
            if (!Directory.Exists(dir) && !File.Exists(dir))
            {
                stderr.WriteLine($"Path '{Path.GetFullPath(dir)}' does not exist. ");
                return Usage(stdout);
            }
        }
        if (!int.TryParse(countText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int count))
        {
            stderr.WriteLine($"'{countText}' can not be parsed to integer.");
            return Usage(stdout);
        }
        if (count < MinRetainCount)
        {
            stderr.WriteLine(CountError);
            return Usage(stdout);
        }
        if (countOption != "-n") return Usage(stdout);

        foreach (var f in Purge(dataLogDir, snapDir, count))
            stdout.WriteLine($"Removing file: {f.LastWriteTime.ToString(CultureInfo.InvariantCulture)}\t{f.FullName}");
        return 0;
    }

    private static int Usage(TextWriter stdout)
    {
        stdout.WriteLine("Usage:");
        stdout.WriteLine("PurgeTxnLog dataLogDir [snapDir] -n count");
        stdout.WriteLine("\tdataLogDir -- path to the txn log directory");
        stdout.WriteLine("\tsnapDir -- path to the snapshot directory");
        stdout.WriteLine("\tcount -- the number of old snaps/logs you want to keep, value should be greater than or equal to 3");
        return 1;
    }

    private static void LogRemoving(ILogger log, string modified, string path) =>
        log.LogInformation("Removing file: {Modified}\t{Path}", modified, path);
}
