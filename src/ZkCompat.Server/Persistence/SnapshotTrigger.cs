namespace ZkCompat.Server.Persistence;

/// <summary>
/// When to roll the log and take a snapshot (Java's <c>SyncRequestProcessor.shouldSnapshot</c>):
/// after more than <c>snapCount/2 + r</c> txns, <c>r</c> drawn from [0, snapCount/2), or more than
/// <c>snapSize/2 + s</c> bytes of log. The random part keeps the servers of an ensemble from all
/// snapshotting at once; it is drawn again at each <see cref="Reset"/>.
/// </summary>
public sealed class SnapshotTrigger
{
    private readonly int _snapCount;
    private readonly long _snapSizeBytes;
    private readonly Random _random;
    private int _randRoll;
    private long _randSize;

    /// <param name="snapCount"><c>zookeeper.snapCount</c> (at least 2).</param>
    /// <param name="snapSizeBytes"><c>zookeeper.snapSizeLimitInKb</c> × 1024; 0 or less disables the size rule.</param>
    /// <param name="random">Injected so tests are repeatable.</param>
    public SnapshotTrigger(int snapCount, long snapSizeBytes, Random random)
    {
        _snapCount = Math.Max(2, snapCount);
        _snapSizeBytes = snapSizeBytes;
        _random = random;
        Reset();
    }

    /// <summary>The txn count that has to be exceeded now.</summary>
    public int TxnThreshold => _snapCount / 2 + _randRoll;

    /// <summary>The log size that has to be exceeded now; -1 when the size rule is off.</summary>
    public long SizeThreshold => _snapSizeBytes > 0 ? _snapSizeBytes / 2 + _randSize : -1;

    /// <param name="txnCount">Txns logged since the last roll.</param>
    /// <param name="logSizeBytes">Size of the log since the last roll (preallocation included, as in Java).</param>
    public bool ShouldSnapshot(int txnCount, long logSizeBytes) =>
        txnCount > TxnThreshold || (_snapSizeBytes > 0 && logSizeBytes > SizeThreshold);

    /// <summary>Draws new random offsets (Java's <c>resetSnapshotStats</c>).</summary>
    public void Reset()
    {
        _randRoll = _random.Next(_snapCount / 2);
        long half = _snapSizeBytes / 2;
        _randSize = half > 0 ? Math.Abs(_random.NextInt64() % half) : 0;
    }
}
