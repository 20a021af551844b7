using System.Globalization;
using System.Text;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// <c>acceptedEpoch</c> and <c>currentEpoch</c> in the snapshot directory (Java's
/// <c>QuorumPeer.readLongFromFile</c>/<c>writeLongToFile</c>): ASCII decimal without a newline,
/// replaced atomically through <c>&lt;name&gt;.tmp</c>.
/// </summary>
public static class EpochFiles
{
    public const string CurrentEpoch = "currentEpoch";
    public const string AcceptedEpoch = "acceptedEpoch";
    public const string TmpExtension = ".tmp";

    /// <summary>The number in <paramref name="name"/>, or null when the file does not exist.</summary>
    /// <exception cref="IOException">The first line is not a decimal long.</exception>
    public static long? Read(DirectoryInfo snapDir, string name)
    {
        string path = Path.Combine(snapDir.FullName, name);
        if (!File.Exists(path)) return null;
        string? line;
        using (var reader = new StreamReader(path, Encoding.UTF8))
            line = reader.ReadLine();
        if (!TryParseJavaLong(line, out long value)) throw new IOException($"Found {line ?? "null"} in {path}");
        return value;
    }

    /// <summary>Replaces <paramref name="name"/> with <paramref name="value"/>: written to a temp file, fsync'd, renamed.</summary>
    public static void Write(DirectoryInfo snapDir, string name, long value)
    {
        string path = Path.Combine(snapDir.FullName, name);
        string tmp = path + TmpExtension;
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                stream.Write(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>
    /// The startup check of a quorum peer (Java's <c>QuorumPeer.loadDataBase</c>, epoch part): missing
    /// files are created from the epoch of the last processed zxid; a currentEpoch behind that epoch is
    /// repaired from <c>currentEpoch.tmp</c> if one survived, else refused; acceptedEpoch below
    /// currentEpoch is refused.
    /// </summary>
    /// <exception cref="IOException">The files contradict each other or the data.</exception>
    public static (long CurrentEpoch, long AcceptedEpoch) LoadOrInitialize(DirectoryInfo snapDir, long lastProcessedZxid)
    {
        long epochOfZxid = lastProcessedZxid >> 32;
        long current = Read(snapDir, CurrentEpoch) ?? WriteDefault(snapDir, CurrentEpoch, epochOfZxid);
        if (epochOfZxid > current)
        {
            long? fromTmp = Read(snapDir, CurrentEpoch + TmpExtension);
            if (fromTmp is null)
            {
                throw new IOException(
                    $"The current epoch, {ZxidToString(current)}, is older than the last zxid, {lastProcessedZxid}");
            }
            current = fromTmp.Value;
            Write(snapDir, CurrentEpoch, current);
        }
        long accepted = Read(snapDir, AcceptedEpoch) ?? WriteDefault(snapDir, AcceptedEpoch, epochOfZxid);
        if (accepted < current)
        {
            throw new IOException(
                $"The accepted epoch, {ZxidToString(accepted)} is less than the current epoch, {ZxidToString(current)}");
        }
        return (current, accepted);
    }

    private static long WriteDefault(DirectoryInfo snapDir, string name, long value)
    {
        Write(snapDir, name, value);
        return value;
    }

    // Java's ZxidUtils.zxidToString: the hex of the value.
    private static string ZxidToString(long value) => value.ToString("x", CultureInfo.InvariantCulture);

    // Long.parseLong: optional sign, decimal digits only.
    private static bool TryParseJavaLong(string? s, out long value)
    {
        value = 0;
        if (string.IsNullOrEmpty(s) || s.Any(char.IsWhiteSpace)) return false;
        return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}
