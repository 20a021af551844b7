using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using ZkCompat.Jute;
using ZkCompat.Protocol.Persistence;
using ZkCompat.Server.Data;

namespace ZkCompat.Server.Persistence;

/// <summary>
/// One snapshot file (Java's <c>FileSnap</c> + <c>SnapStream</c> + <c>SerializeUtils.serializeSnapshot</c>):
/// <c>FileHeader{ZKSN, 2, -1}</c>, the sessions, the tree (ACL cache, nodes, "/"), an Adler-32 seal
/// (<c>long</c> + "/"), then, with digests on, <c>ZxidDigest</c> and a second, cumulative seal.
/// Checksums cover the uncompressed bytes.
/// </summary>
public static class SnapshotFile
{
    public const int Magic = 0x5A4B534E; // "ZKSN"
    public const int Version = 2;
    public const long DbId = -1;

    // Java checks a file's last 5 bytes: the seal's "/" as a jute string (length 1, '/').
    private static ReadOnlySpan<byte> SealTail => [0, 0, 0, 1, (byte)'/'];

    /// <summary>
    /// Writes <paramref name="tree"/> and <paramref name="sessions"/> to <paramref name="path"/>. The tree
    /// may change meanwhile (a fuzzy snapshot): each node is copied under its lock, and replay of the
    /// log from the snapshot's zxid repairs the rest.
    /// </summary>
    public static void Write(string path, DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions,
        SnapshotCompression compression, bool fsync)
    {
        // Written aside and renamed into place: a restart with no new txns rewrites the very
        // snapshot it loaded, and a crash then must not leave that one half-written.
        string temp = TempPath(path);
        try
        {
            WriteFile(temp, tree, sessions, compression, fsync);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>The name a snapshot is written under until complete; no snapshot or log name pattern matches it.</summary>
    public static string TempPath(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".tmp");

    /// <summary>Removes snapshots left half-written by a crash.</summary>
    public static void DeleteTempFiles(DirectoryInfo snapDir)
    {
        if (!snapDir.Exists) return;
        foreach (var f in snapDir.GetFiles("." + DataDirFiles.SnapshotPrefix + ".*.tmp")) f.Delete();
    }

    private static void WriteFile(string path, DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions,
        SnapshotCompression compression, bool fsync)
    {
        var sessionCopy = CopySessions(sessions);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 0);
        var encoded = SnapshotCompressions.OpenWrite(file, compression);
        try
        {
            var output = new ChecksummedStreamWriter(encoded);
            var writer = new JuteWriter(output);
            new FileHeader { Magic = Magic, Version = Version, Dbid = DbId }.Serialize(ref writer);
            writer.WriteInt(sessionCopy.Length);
            foreach (var (id, timeout) in sessionCopy)
            {
                writer.WriteLong(id);
                writer.WriteInt(timeout);
            }
            tree.Serialize(ref writer);
            Seal(ref writer, output);

            // Taken after the nodes: replay that reaches this zxid is past the fuzzy range.
            if (tree.DigestEnabled)
            {
                var digest = tree.LastProcessedZxidDigest ?? ZxidDigest.Empty;
                writer.WriteLong(digest.Zxid);
                writer.WriteInt(digest.DigestVersion);
                writer.WriteLong(digest.Digest);
                Seal(ref writer, output);
            }
            writer.Flush();
            output.Flush();
        }
        finally
        {
            if (!ReferenceEquals(encoded, file)) encoded.Dispose();
        }
        file.Flush(flushToDisk: fsync);
    }

    /// <summary>
    /// The sessions as they are at one moment. A live table changes while a fuzzy snapshot is taken;
    /// LINQ's ToArray sizes its array from Count and then copies, which on a ConcurrentDictionary that
    /// shrank meanwhile leaves (0, 0) "sessions" at the end (and throws if it grew); the table's own
    /// ToArray copies under its locks.
    /// </summary>
    internal static KeyValuePair<long, int>[] CopySessions(IEnumerable<KeyValuePair<long, int>> sessions) =>
        sessions is System.Collections.Concurrent.ConcurrentDictionary<long, int> live ? live.ToArray() : sessions.ToArray();

    private static void Seal(ref JuteWriter writer, ChecksummedStreamWriter output)
    {
        writer.Flush();
        writer.WriteLong(output.Checksum);
        writer.WriteUString("/");
    }

    /// <summary>
    /// Loads a snapshot into <paramref name="tree"/> (a fresh one) and <paramref name="sessions"/>, and
    /// sets the tree's last processed zxid to the file's. With digests on, the stored digest is kept
    /// for comparison during replay (<see cref="DataTree.DigestFromLoadedSnapshot"/>).
    /// </summary>
    /// <returns>The snapshot's zxid.</returns>
    /// <exception cref="CorruptDataException">Bad magic, malformed content or a checksum mismatch.</exception>
    public static long Read(FileInfo file, DataTree tree, IDictionary<long, int> sessions, JuteLimits limits)
    {
        long snapZxid = DataDirFiles.GetZxidFromName(file.Name, DataDirFiles.SnapshotPrefix);
        var mode = SnapshotCompressions.FromFileName(file.Name);
        Stream stream;
        try
        {
            stream = SnapshotCompressions.OpenRead(file.OpenRead(), mode);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw CannotDecode(file, mode, e);
        }

        // Streamed: the file is parsed as it is read, never held whole.
        using (stream)
        {
            var input = new SnapshotInputWindow(stream, e => CannotDecode(file, mode, e));
            try
            {
                var header = input.Parse(FileHeader.Deserialize, limits);
                if (header.Magic != Magic)
                    throw new CorruptDataException(file.FullName, 0, $"mismatching magic headers {header.Magic} != {Magic}");
                int count = input.Parse(static (ref JuteReader r) => r.ReadInt(), limits);
                for (; count > 0; count--)
                {
                    var (id, timeout) = input.Parse(static (ref JuteReader r) => (r.ReadLong(), r.ReadInt()), limits);
                    sessions[id] = timeout;
                }
                input.Parse((ref JuteReader r) =>
                {
                    tree.Acls.Deserialize(ref r);
                    return true;
                }, limits);
                ReadNodes(input, tree.BeginNodeLoad(), limits);

                CheckSeal(input, limits, file);
                // Java takes a missing digest section as "an older snapshot without one", so look at all that is left of a short file.
                input.EnsureUnread(64);
                if (tree.DigestEnabled && input.Parse(static (ref JuteReader r) => (TryReadZxidDigest(ref r, out var d), d), limits) is (true, var digest))
                {
                    CheckSeal(input, limits, file);
                    // An empty digest, or one older than the file's zxid (a new leader's epoch snapshot), is not compared.
                    tree.DigestFromLoadedSnapshot = digest.Zxid > 0 && digest.Zxid >= snapZxid ? digest : null;
                }
                else
                {
                    tree.DigestFromLoadedSnapshot = null;
                }
            }
            catch (CorruptDataException)
            {
                throw;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException or FormatException)
            {
                throw new CorruptDataException(file.FullName, input.Consumed, e.Message, e);
            }
        }

        tree.LastProcessedZxid = snapZxid;
        // Not fuzzy when the digest was taken at the file's own zxid: compare right away.
        tree.CompareSnapshotDigest(snapZxid);
        return snapZxid;
    }

    private static CorruptDataException CannotDecode(FileInfo file, SnapshotCompression mode, Exception e) =>
        new(file.FullName, 0, $"cannot decode {mode} snapshot stream: {e.Message}", e);

    // Node after node off the window; a node cut by the window's end is read again after a refill.
    private static void ReadNodes(SnapshotInputWindow input, DataTree.SnapshotNodeLoader loader, JuteLimits limits)
    {
        bool more = true;
        while (more)
        {
            var reader = new JuteReader(input.Unread, limits);
            long complete = 0;
            try
            {
                while ((more = loader.ReadNode(ref reader))) complete = reader.Consumed;
                complete = reader.Consumed;
            }
            catch (JuteEndOfStreamException) when (!input.AtEnd)
            {
                more = true;
            }
            input.Advance(complete);
            if (more) input.Fill();
        }
        loader.Complete();
    }

    private static void CheckSeal(SnapshotInputWindow input, JuteLimits limits, FileInfo file)
    {
        long offset = input.Consumed;
        long expected = input.Checksum();
        long stored = input.Parse(static (ref JuteReader r) =>
        {
            long value = r.ReadLong();
            r.ReadUString();
            return value;
        }, limits);
        if (stored != expected)
            throw new CorruptDataException(file.FullName, offset,
                $"CRC corruption: stored Adler-32 {stored:x}, computed {expected:x}");
    }

    // Java reads the digest section and takes running out of bytes as "an older snapshot without one".
    private static bool TryReadZxidDigest(ref JuteReader reader, out ZxidDigest digest)
    {
        digest = ZxidDigest.Empty;
        if (reader.Remaining < 12) return false;
        long zxid = reader.ReadLong();
        int version = reader.ReadInt();
        long value;
        if (version < 2)
        {
            // Version 1 stored the digest as a hex string.
            if (reader.Remaining < 4) return false;
            string? hex = reader.ReadUString();
            value = hex is null ? 0 : long.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }
        else
        {
            if (reader.Remaining < 8) return false;
            value = reader.ReadLong();
        }
        digest = new ZxidDigest(zxid, version, value);
        return true;
    }

    /// <summary>
    /// Java's quick test (<c>SnapStream.isValidSnapshot</c>): a snapshot name, and for plain files at
    /// least 10 bytes ending in the seal's "/"; for gz/snappy the stream's magic.
    /// </summary>
    public static bool IsValid(FileInfo file)
    {
        if (DataDirFiles.GetZxidFromName(file.Name, DataDirFiles.SnapshotPrefix) == -1) return false;
        try
        {
            using var stream = file.OpenRead();
            switch (SnapshotCompressions.FromFileName(file.Name))
            {
                case SnapshotCompression.Gzip:
                {
                    Span<byte> magic = stackalloc byte[2];
                    return stream.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
                }
                case SnapshotCompression.Snappy:
                {
                    Span<byte> magic = stackalloc byte[8];
                    return stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) == 8 && XerialSnappy.HasMagic(magic);
                }
                default:
                {
                    if (stream.Length < 10) return false;
                    stream.Seek(-5, SeekOrigin.End);
                    Span<byte> tail = stackalloc byte[5];
                    stream.ReadExactly(tail);
                    return tail.SequenceEqual(SealTail) && BinaryPrimitives.ReadInt32BigEndian(tail) == 1;
                }
            }
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Up to <paramref name="n"/> snapshots that pass <see cref="IsValid"/>, newest first (Java's <c>findNValidSnapshots</c>).</summary>
    public static List<FileInfo> FindValidSnapshots(DirectoryInfo snapDir, int n)
    {
        var list = new List<FileInfo>();
        foreach (var f in DataDirFiles.SortByZxid(snapDir, DataDirFiles.SnapshotPrefix, ascending: false))
        {
            if (!IsValid(f)) continue;
            list.Add(f);
            if (list.Count == n) break;
        }
        return list;
    }
}
