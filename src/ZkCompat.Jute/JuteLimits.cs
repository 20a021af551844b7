namespace ZkCompat.Jute;

/// <summary>
/// Length limits applied while decoding, mirroring Java's <c>BinaryInputArchive</c>:
/// a ustring/buffer length must be in [0, MaxBuffer + ExtraMaxBuffer] (or -1 for null).
/// </summary>
public readonly record struct JuteLimits
{
    /// <summary>Java's default <c>jute.maxbuffer</c>: 0xfffff bytes.</summary>
    public const int DefaultMaxBuffer = 0xfffff;

    /// <summary>Java never lets the extra allowance drop below 1024 bytes.</summary>
    public const int MinimumExtraMaxBuffer = 1024;

    public JuteLimits(int maxBuffer = DefaultMaxBuffer, int? extraMaxBuffer = null)
    {
        if (maxBuffer < 0) throw new ArgumentOutOfRangeException(nameof(maxBuffer));
        MaxBuffer = maxBuffer;
        // zookeeper.jute.maxbuffer.extrasize defaults to jute.maxbuffer, floor 1024.
        ExtraMaxBuffer = Math.Max(MinimumExtraMaxBuffer, extraMaxBuffer ?? maxBuffer);
    }

    /// <summary><c>jute.maxbuffer</c>: also the client-port frame limit.</summary>
    public int MaxBuffer { get; }

    /// <summary><c>zookeeper.jute.maxbuffer.extrasize</c>.</summary>
    public int ExtraMaxBuffer { get; }

    /// <summary>The largest ustring/buffer length a reader accepts.</summary>
    public long MaxFieldLength => (long)MaxBuffer + ExtraMaxBuffer;

    public static JuteLimits Default { get; } = new(DefaultMaxBuffer);
}
