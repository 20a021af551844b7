namespace ZkCompat.Server.Sessions;

/// <summary>
/// The 48-bit linear congruential generator of <c>java.util.Random</c>, bit for bit. Session
/// passwords are its output, so a client can resume a session on either a Java or this server.
/// </summary>
internal struct JavaRandom
{
    private const long Multiplier = 0x5DEECE66DL;
    private const long Addend = 0xBL;
    private const long Mask = (1L << 48) - 1;

    private long _seed;

    public JavaRandom(long seed) => _seed = (seed ^ Multiplier) & Mask;

    public int Next(int bits)
    {
        _seed = (_seed * Multiplier + Addend) & Mask;
        return (int)((ulong)_seed >> (48 - bits));
    }

    /// <summary>Fills four bytes per 32-bit draw, low byte first, like <c>Random.nextBytes</c>.</summary>
    public void NextBytes(Span<byte> bytes)
    {
        int i = 0;
        while (i < bytes.Length)
        {
            int r = Next(32);
            for (int n = Math.Min(bytes.Length - i, 4); n-- > 0; r >>= 8) bytes[i++] = (byte)r;
        }
    }
}
