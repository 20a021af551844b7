namespace ZkCompat.InteropTests.Servers;

/// <summary>Which implementation a test talks to.</summary>
public enum ServerKind
{
    /// <summary>Debian's stock Apache ZooKeeper 3.8, the reference behaviour.</summary>
    Java,

    /// <summary>The server under test, <c>zkcompat.dll</c>.</summary>
    ZkCompat,
}
