namespace ZkCompat.Server.Persistence;

/// <summary>
/// A log or snapshot that cannot be used as written: the message names the file and the byte
/// offset (in the uncompressed stream for a compressed snapshot) where reading went wrong.
/// </summary>
public sealed class CorruptDataException : IOException
{
    public CorruptDataException(string filePath, long offset, string reason, Exception? inner = null)
        : base($"{filePath}: {reason} (at offset {offset})", inner)
    {
        FilePath = filePath;
        Offset = offset;
        Reason = reason;
    }

    public string FilePath { get; }

    public long Offset { get; }

    public string Reason { get; }
}
