namespace ZkCompat.Protocol;

/// <summary>A ZooKeeper result code raised as an exception (Java's <c>KeeperException</c>).</summary>
public class KeeperException : Exception
{
    public KeeperException(ErrorCode code, string? path = null)
        : base(path is null ? $"KeeperErrorCode = {code}" : $"KeeperErrorCode = {code} for {path}")
    {
        Code = code;
        Path = path;
    }

    public ErrorCode Code { get; }
    public string? Path { get; }
}
