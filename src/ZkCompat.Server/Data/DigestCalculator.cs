using System.Buffers.Binary;
using System.Text;
using ZkCompat.Protocol.Data;

namespace ZkCompat.Server.Data;

/// <summary>
/// The per-node digest of the tree digest (Java's <c>DigestCalculator</c>, version 2): CRC-32 over
/// the path, the data and a 60-byte block of the persisted stat. The tree digest is the wrapping
/// sum of these over the path map, so a change is "subtract the old node, add the new one".
/// </summary>
public static class DigestCalculator
{
    /// <summary>Logged in <c>TxnDigest.version</c> and the snapshot's <c>ZxidDigest</c>.</summary>
    public const int DigestVersion = 2;

    /// <summary>Nodes below this prefix never count: Java excludes them because quota nodes are updated locally.</summary>
    public const string ExcludedSubtree = "/zookeeper/";

    private const int StatBlockSize = 60;

    /// <summary>True for paths whose nodes contribute 0 (<c>/zookeeper</c> itself counts).</summary>
    public static bool IsExcluded(string path) => path.StartsWith(ExcludedSubtree, StringComparison.Ordinal);

    /// <summary>
    /// The digest of one node as an unsigned 32-bit value in a long. "/" is hashed as "" because the
    /// root is stored under both names and the tree adds it once.
    /// </summary>
    public static long CalculateDigest(string path, ReadOnlySpan<byte> data, StatPersisted stat) =>
        CalculateDigest(path, data, stat.Czxid, stat.Mzxid, stat.Pzxid, stat.Ctime, stat.Mtime, stat.Version,
            stat.Cversion, stat.Aversion, stat.EphemeralOwner);

    /// <summary>The digest of a node as it is now (call with its lock held, or before it is shared).</summary>
    internal static long CalculateDigest(string path, DataNode node) =>
        CalculateDigest(path, node.Data, node.Czxid, node.Mzxid, node.Pzxid, node.Ctime, node.Mtime, node.Version,
            node.Cversion, node.Aversion, node.EphemeralOwner);

    /// <summary>
    /// As <see cref="CalculateDigest(string, DataNode)"/> with the path as the bytes a snapshot stores
    /// (a snapshot load, which then needs no path string); they must be ASCII, where the stored
    /// form and Java's <c>getBytes()</c> agree.
    /// </summary>
    internal static long CalculateDigestAscii(ReadOnlySpan<byte> asciiPath, DataNode node)
    {
        if (asciiPath.StartsWith("/zookeeper/"u8)) return 0;
        if (asciiPath.SequenceEqual("/"u8)) asciiPath = [];
        return Digest(asciiPath, node.Data, node.Czxid, node.Mzxid, node.Pzxid, node.Ctime, node.Mtime, node.Version,
            node.Cversion, node.Aversion, node.EphemeralOwner);
    }

    private static long CalculateDigest(string path, ReadOnlySpan<byte> data, long czxid, long mzxid, long pzxid,
        long ctime, long mtime, int version, int cversion, int aversion, long ephemeralOwner)
    {
        if (IsExcluded(path)) return 0;
        if (path == "/") path = "";

        int pathBytes = Encoding.UTF8.GetByteCount(path);
        if (pathBytes <= 512)
        {
            Span<byte> encoded = stackalloc byte[pathBytes];
            Encoding.UTF8.GetBytes(path, encoded);
            return Digest(encoded, data, czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner);
        }
        return Digest(Encoding.UTF8.GetBytes(path), data, czxid, mzxid, pzxid, ctime, mtime, version, cversion, aversion,
            ephemeralOwner);
    }

    private static long Digest(ReadOnlySpan<byte> path, ReadOnlySpan<byte> data, long czxid, long mzxid, long pzxid,
        long ctime, long mtime, int version, int cversion, int aversion, long ephemeralOwner)
    {
        Span<byte> block = stackalloc byte[StatBlockSize];
        BinaryPrimitives.WriteInt64BigEndian(block, czxid);
        BinaryPrimitives.WriteInt64BigEndian(block[8..], mzxid);
        BinaryPrimitives.WriteInt64BigEndian(block[16..], pzxid);
        BinaryPrimitives.WriteInt64BigEndian(block[24..], ctime);
        BinaryPrimitives.WriteInt64BigEndian(block[32..], mtime);
        BinaryPrimitives.WriteInt32BigEndian(block[40..], version);
        BinaryPrimitives.WriteInt32BigEndian(block[44..], cversion);
        BinaryPrimitives.WriteInt32BigEndian(block[48..], aversion);
        BinaryPrimitives.WriteInt64BigEndian(block[52..], ephemeralOwner);

        uint crc = Crc32.Initial;
        crc = Crc32.Update(crc, path);
        crc = Crc32.Update(crc, data);
        crc = Crc32.Update(crc, block);
        return Crc32.Final(crc);
    }
}

/// <summary>
/// CRC-32 as java.util.zip.CRC32 computes it (IEEE 802.3, reflected, polynomial 0xEDB88320),
/// slicing by eight bytes at a time.
/// </summary>
public static class Crc32
{
    public const uint Initial = 0xFFFFFFFFu;

    private static readonly uint[] Table = BuildTable();

    /// <summary>The CRC of <paramref name="data"/> as a non-negative long, like <c>CRC32.getValue()</c>.</summary>
    public static long Compute(ReadOnlySpan<byte> data) => Final(Update(Initial, data));

    public static long Final(uint state) => state ^ 0xFFFFFFFFu;

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        var t = Table;
        while (data.Length >= 8)
        {
            uint one = BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            uint two = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (one & 0xFF)] ^ t[(6 * 256) + ((one >> 8) & 0xFF)]
                ^ t[(5 * 256) + ((one >> 16) & 0xFF)] ^ t[(4 * 256) + (one >> 24)]
                ^ t[(3 * 256) + (two & 0xFF)] ^ t[(2 * 256) + ((two >> 8) & 0xFF)]
                ^ t[256 + ((two >> 16) & 0xFF)] ^ t[two >> 24];
            data = data[8..];
        }
        foreach (byte b in data) crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return crc;
    }

    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        for (int slice = 1; slice < 8; slice++)
        {
            for (int i = 0; i < 256; i++)
            {
                uint previous = table[((slice - 1) * 256) + i];
                table[(slice * 256) + i] = (previous >> 8) ^ table[previous & 0xFF];
            }
        }
        return table;
    }
}
