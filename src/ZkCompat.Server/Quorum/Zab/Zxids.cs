namespace ZkCompat.Server.Quorum.Zab;

/// <summary>A zxid is <c>(epoch &lt;&lt; 32) | counter</c> (Java's ZxidUtils).</summary>
public static class Zxids
{
    public static long Make(long epoch, long counter) => (epoch << 32) | (counter & 0xFFFFFFFFL);

    public static long EpochOf(long zxid) => zxid >> 32;

    public static long CounterOf(long zxid) => zxid & 0xFFFFFFFFL;

    /// <summary>True for <c>e &lt;&lt; 32</c>: the NEWLEADER zxid of epoch e, before any proposal in it.</summary>
    public static bool IsEpochStart(long zxid) => CounterOf(zxid) == 0;
}
