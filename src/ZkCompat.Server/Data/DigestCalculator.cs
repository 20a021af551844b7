using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
        int total = path.Length + data.Length + StatBlockSize;
        if (total <= 1024)
        {
            // One run over the three parts: the folding CRC pays off on the whole, not on each part.
            Span<byte> all = stackalloc byte[total];
            path.CopyTo(all);
            data.CopyTo(all[path.Length..]);
            block.CopyTo(all[(path.Length + data.Length)..]);
            return Crc32.Final(Crc32.Update(crc, all));
        }
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
        if (Pclmulqdq.IsSupported && data.Length >= 32)
        {
            int folded = data.Length & ~15;
            crc = UpdateFolding(crc, data[..folded]);
            data = data[folded..];
        }
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

    // Carry-less multiplication folding (Intel's "Fast CRC Computation for Generic Polynomials Using
    // PCLMULQDQ", bit-reflected): the 128-bit state absorbs 16 bytes a step, then is reduced to 32
    // bits by two folds and a Barrett step. The constants are powers of x modulo the IEEE polynomial.
    private static uint UpdateFolding(uint crc, ReadOnlySpan<byte> data)
    {
        // x^(128+32) and x^(128-32) mod P (reflected): fold 128 bits ahead.
        var fold128 = Vector128.Create(0x1751997d0UL, 0x0ccaa009eUL);
        // x^64 mod P: fold the last 64 bits to 32.
        var fold64 = Vector128.Create(0x163cd6124UL, 0UL);
        // P and floor(x^64 / P) for the Barrett reduction.
        var barrett = Vector128.Create(0x1db710641UL, 0x1f7011641UL);
        var mask32 = Vector128.Create(0xFFFFFFFFUL, 0UL);

        ref byte start = ref MemoryMarshal.GetReference(data);
        var x = Vector128.LoadUnsafe(ref start).AsUInt64() ^ Vector128.CreateScalar((ulong)crc);
        for (int offset = 16; offset < data.Length; offset += 16)
        {
            x = Pclmulqdq.CarrylessMultiply(x, fold128, 0x00)
                ^ Pclmulqdq.CarrylessMultiply(x, fold128, 0x11)
                ^ Vector128.LoadUnsafe(ref Unsafe.Add(ref start, offset)).AsUInt64();
        }

        // 128 → 64 bits.
        x = Pclmulqdq.CarrylessMultiply(x, fold128, 0x10) ^ Sse2.ShiftRightLogical128BitLane(x, 8);
        // 64 → 32 bits (with 32 zero bits appended).
        x = Pclmulqdq.CarrylessMultiply(x & mask32, fold64, 0x00) ^ Sse2.ShiftRightLogical128BitLane(x, 4);
        // Barrett reduction to the 32-bit remainder.
        var t = Pclmulqdq.CarrylessMultiply(x & mask32, barrett, 0x10) & mask32;
        x ^= Pclmulqdq.CarrylessMultiply(t, barrett, 0x00);
        return x.AsUInt32().GetElement(1);
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
