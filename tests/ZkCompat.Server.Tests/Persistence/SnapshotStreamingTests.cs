using ZkCompat.Jute;
using ZkCompat.Server.Data;
using ZkCompat.Server.Persistence;

namespace ZkCompat.Server.Tests.Persistence;

// Snapshots are parsed as they are read, 1 MiB at a time: nodes, sessions and seals that straddle
// a refill, and nodes bigger than the window, must load exactly as a whole-file read would.
public sealed class SnapshotStreamingTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    [TestCase(SnapshotCompression.None)]
    [TestCase(SnapshotCompression.Gzip)]
    [TestCase(SnapshotCompression.Snappy)]
    public void SnapshotSeveralWindowsLongLoadsAndRewritesIdentically(SnapshotCompression mode)
    {
        var script = new TxnScript();
        var random = new Random(7);
        // Enough sessions that the session list alone crosses a refill.
        for (long s = 1; s <= 100_000; s++) script.Sessions[s] = 30_000;
        script.Create("/big");
        for (int i = 0; i < 3_000; i++)
        {
            // Odd sizes so node boundaries fall everywhere relative to the window.
            var data = new byte[random.Next(0, 2_000)];
            random.NextBytes(data);
            script.Create($"/big/n{i}", data);
        }
        // Larger than the 1 MiB window: the window has to grow.
        var huge = new byte[(3 * 1024 * 1024) + 17];
        random.NextBytes(huge);
        script.Create("/big/huge", huge);
        script.Create("/big/huge/child", [1, 2, 3]);

        string path = Path.Combine(_dir.VersionDir, DataDirFiles.MakeSnapshotName(script.LastZxid, mode));
        Directory.CreateDirectory(_dir.VersionDir);
        SnapshotFile.Write(path, script.Tree, script.Sessions, mode, fsync: false);
        var limits = new JuteLimits(maxBuffer: 8 * 1024 * 1024);

        var tree = new DataTree(extendedTypesEnabled: true);
        var sessions = new Dictionary<long, int>();
        SnapshotFile.Read(new FileInfo(path), tree, sessions, limits);

        Assert.Multiple(() =>
        {
            Assert.That(DataDirDump.Format(tree, sessions, 0), Is.EqualTo(DataDirDump.Format(script.Tree, script.Sessions, 0)));
            Assert.That(tree.GetNode("/big/huge")!.Data, Is.EqualTo(huge));
            Assert.That(tree.TreeDigest, Is.EqualTo(script.Tree.TreeDigest));
            Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()));
            Assert.That(tree.CachedApproximateDataSize, Is.EqualTo(tree.ApproximateDataSize()));
            Assert.That(tree.NodeCount, Is.EqualTo(script.Tree.NodeCount));
        });

        // Same content, same bytes up to the first seal (compressed files are compared after
        // decoding); the digest section differs, as no txn was applied to the loaded tree yet.
        string again = Path.Combine(_dir.Sub("again"), Path.GetFileName(path));
        SnapshotFile.Write(again, tree, sessions, mode, fsync: false);
        byte[] expected = Decoded(path, mode), actual = Decoded(again, mode);
        int firstSealEnd = expected.Length - 33;
        Assert.That(actual.AsSpan(0, firstSealEnd).SequenceEqual(expected.AsSpan(0, firstSealEnd)), Is.True);
    }

    [Test]
    public void TruncatedInTheMiddleOfALaterWindowIsCorrupt()
    {
        var script = new TxnScript();
        script.Create("/a");
        var data = new byte[1000];
        for (int i = 0; i < 3_000; i++) script.Create($"/a/n{i}", data);
        string path = Path.Combine(_dir.VersionDir, DataDirFiles.MakeSnapshotName(script.LastZxid, SnapshotCompression.None));
        Directory.CreateDirectory(_dir.VersionDir);
        SnapshotFile.Write(path, script.Tree, script.Sessions, SnapshotCompression.None, fsync: false);
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength((2 * 1024 * 1024) + 333);

        var e = Assert.Throws<CorruptDataException>(() =>
            SnapshotFile.Read(new FileInfo(path), new DataTree(), new Dictionary<long, int>(), JuteLimits.Default));
        Assert.That(e!.Message, Does.Contain(path));
    }

    private static byte[] Decoded(string path, SnapshotCompression mode)
    {
        using var stream = SnapshotCompressions.OpenRead(File.OpenRead(path), mode);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
