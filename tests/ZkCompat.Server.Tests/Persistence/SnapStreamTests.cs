using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using ZkCompat.Jute;
using ZkCompat.Protocol;
using ZkCompat.Protocol.Data;
using ZkCompat.Protocol.Quorum;
using ZkCompat.Server.Data;
using ZkCompat.Server.Persistence;
using ZkCompat.Server.Quorum.Transport;

namespace ZkCompat.Server.Tests.Persistence;

public sealed class SnapStreamTests
{
    private TempDir _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDir();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    // "BenWasHere" as a ustring: length 10, then the ASCII.
    private static readonly byte[] SignatureBytes = [0, 0, 0, 10, .. "BenWasHere"u8];

    // Room for the largest node a test sends: a pipe pauses its writer at this many unread bytes.
    private static readonly PipeOptions RoomyPipe = new(pauseWriterThreshold: 8 * 1024 * 1024, resumeWriterThreshold: 4 * 1024 * 1024);

    /// <summary>Every node kind the tree has: ephemeral, sequential, container, TTL, ACLs, null/empty/large data.</summary>
    private static TxnScript EveryNodeKind()
    {
        var s = TxnScript.EveryType();
        s.RandomWorkload(new Random(3), 300);
        s.CreateSession(0x1000010, 12_000);
        s.Create("/kinds", []);
        s.Create("/kinds/seq-0000000007", "sequential"u8.ToArray(), type: OpCode.Create2);
        s.Create("/kinds/eph-0000000008", [1], ephemeralSession: 0x1000010);
        s.CreateContainer("/kinds/container");
        s.Create("/kinds/container/child", [7, 7]);
        s.CreateTtl("/kinds/ttl-0000000009", 5_000);
        s.Create("/kinds/null", null);
        s.SetData("/kinds/null", null);
        s.Create("/kinds/acl", [3], acl: [TxnScript.Acl(Perms.Read, "world", "anyone"), TxnScript.Acl(Perms.All, "auth", "")]);
        s.Create("/kinds/acl2", [4], acl: [TxnScript.Acl(Perms.Read, "world", "anyone"), TxnScript.Acl(Perms.All, "auth", "")]);
        var large = new byte[1_000_000];
        new Random(5).NextBytes(large);
        s.Create("/kinds/large", large);
        return s;
    }

    private static async Task<byte[]> WriteToBytes(DataTree tree, IEnumerable<KeyValuePair<long, int>> sessions)
    {
        using var output = new MemoryStream();
        await SnapStream.WriteAsync(output, tree, sessions, CancellationToken.None);
        return output.ToArray();
    }

    private static async Task<SnapStreamContent> ReadFromBytes(byte[] bytes, JuteLimits? limits = null)
    {
        var reader = PipeReader.Create(new MemoryStream(bytes));
        try
        {
            return await SnapStream.ReadAsync(reader, limits ?? JuteLimits.Default, extendedTypesEnabled: true, CancellationToken.None);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private static void AssertSameDatabase(SnapStreamContent loaded, DataTree tree, IReadOnlyDictionary<long, int> sessions)
    {
        Assert.Multiple(() =>
        {
            Assert.That(DataDirDump.Format(loaded.Tree, loaded.Sessions, 0), Is.EqualTo(DataDirDump.Format(tree, sessions, 0)));
            Assert.That(loaded.Sessions, Is.EquivalentTo(sessions));
            Assert.That(loaded.Tree.TreeDigest, Is.EqualTo(tree.TreeDigest));
            Assert.That(loaded.Tree.TreeDigest, Is.EqualTo(loaded.Tree.ComputeTreeDigest()));
            Assert.That(loaded.Tree.NodeCount, Is.EqualTo(tree.NodeCount));
            Assert.That(loaded.Tree.CachedApproximateDataSize, Is.EqualTo(tree.CachedApproximateDataSize));
            Assert.That(loaded.Tree.LastProcessedZxid, Is.Zero, "the caller sets the SNAP packet's zxid");
            Assert.That(loaded.Tree.DigestFromLoadedSnapshot, Is.Null);
        });
    }

    [Test]
    public async Task RoundTripKeepsEveryNodeKindSessionsAclsStatsAndDigest()
    {
        var script = EveryNodeKind();
        byte[] bytes = await WriteToBytes(script.Tree, script.Sessions);
        var loaded = await ReadFromBytes(bytes, new JuteLimits(maxBuffer: 2 * 1024 * 1024));

        AssertSameDatabase(loaded, script.Tree, script.Sessions);
        var tree = loaded.Tree;
        Assert.Multiple(() =>
        {
            Assert.That(tree.GetEphemerals(0x1000010), Does.Contain("/kinds/eph-0000000008"));
            Assert.That(tree.GetNode("/kinds/container")!.EphemeralType, Is.EqualTo(EphemeralType.Container));
            Assert.That(tree.GetNode("/kinds/ttl-0000000009")!.EphemeralType, Is.EqualTo(EphemeralType.Ttl));
            Assert.That(tree.GetNode("/kinds/null")!.Data, Is.Null);
            Assert.That(tree.GetNode("/kinds/seq-0000000007")!.Data, Is.EqualTo("sequential"u8.ToArray()));
            Assert.That(tree.GetNode("/kinds/large")!.Data, Is.EqualTo(script.Tree.GetNode("/kinds/large")!.Data));
            // Two nodes with the same list share one reference, counted twice.
            long aclRef = tree.GetNode("/kinds/acl")!.AclRef;
            Assert.That(tree.GetNode("/kinds/acl2")!.AclRef, Is.EqualTo(aclRef));
            Assert.That(tree.Acls.GetReferenceCount(aclRef), Is.EqualTo(script.Tree.Acls.GetReferenceCount(aclRef)));
            Assert.That(tree.Acls.Entries().OrderBy(e => e.Key).Select(e => (e.Key, string.Join(";", e.Value))),
                Is.EqualTo(script.Tree.Acls.Entries().OrderBy(e => e.Key).Select(e => (e.Key, string.Join(";", e.Value)))));
        });

        // What was loaded is sent on unchanged.
        Assert.That(await WriteToBytes(tree, loaded.Sessions), Is.EqualTo(bytes));
    }

    [Test]
    public async Task StreamIsTheSnapshotFileBodyFollowedByTheSignature()
    {
        var script = TxnScript.EveryType();
        script.RandomWorkload(new Random(11), 100);
        byte[] stream = await WriteToBytes(script.Tree, script.Sessions);

        string path = Path.Combine(_dir.VersionDir, DataDirFiles.MakeSnapshotName(script.LastZxid, SnapshotCompression.None));
        Directory.CreateDirectory(_dir.VersionDir);
        SnapshotFile.Write(path, script.Tree, script.Sessions, SnapshotCompression.None, fsync: false);
        byte[] file = File.ReadAllBytes(path);
        // File = 16-byte header + body + seal (long + "/") + ZxidDigest (20 bytes) + seal.
        byte[] body = file[16..^(13 + 20 + 13)];

        Assert.Multiple(() =>
        {
            Assert.That(stream[..^SignatureBytes.Length], Is.EqualTo(body));
            Assert.That(stream[^SignatureBytes.Length..], Is.EqualTo(SignatureBytes));
            // The node list's end marker "/" comes right before the signature.
            Assert.That(stream[^(SignatureBytes.Length + 5)..^SignatureBytes.Length], Is.EqualTo(new byte[] { 0, 0, 0, 1, (byte)'/' }));
            Assert.That(BinaryPrimitives.ReadInt32BigEndian(stream), Is.EqualTo(script.Sessions.Count));
        });
    }

    [Test]
    public async Task EmptyDatabaseIsTheFreshTreeAndNoSessions()
    {
        var tree = new DataTree();
        byte[] bytes = await WriteToBytes(tree, []);
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes), Is.Zero);
        // One ACL entry: /zookeeper/config's read-only list, as in Java.
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4)), Is.EqualTo(1));
        // {ref 1, one ACL of READ for world:anyone}, then the root first, under "".
        int rootAt = 4 + 4 + 8 + 4 + 4 + (4 + 5) + (4 + 6);
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(rootAt)), Is.Zero);
        Assert.That(BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(rootAt + 4)), Is.Zero, "the root's data is empty, not null");
        var loaded = await ReadFromBytes(bytes);
        AssertSameDatabase(loaded, tree, new Dictionary<long, int>());
    }

    [TestCase(1)]
    [TestCase(7)]
    [TestCase(4096)]
    [TestCase(100_000)]
    public async Task BytesAfterTheSignatureAreLeftForTheNextPacket(int piece)
    {
        var script = EveryNodeKind();
        // A 200 KB node is enough to be cut by every piece size.
        script.SetData("/kinds/large", new byte[200_000]);
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        var newLeader = QuorumPackets.NewLeader(0x300000000, "server.1=127.0.0.1:2888:3888:participant\nversion=0");
        var upToDate = QuorumPackets.Create(QuorumPacketType.UpToDate, -1);
        byte[] all = [.. snap, .. QuorumPackets.Write(newLeader), .. QuorumPackets.Write(upToDate)];

        var pipe = new Pipe(RoomyPipe);
        var feeding = Task.Run(async () =>
        {
            for (int at = 0; at < all.Length; at += piece)
            {
                await pipe.Writer.WriteAsync(all.AsMemory(at, Math.Min(piece, all.Length - at)));
            }
            // Left open: the learner must not need the end of the connection to finish.
        });

        var loaded = await SnapStream.ReadAsync(pipe.Reader, JuteLimits.Default, extendedTypesEnabled: true, CancellationToken.None);
        AssertSameDatabase(loaded, script.Tree, script.Sessions);

        var packets = new List<QuorumPacket>();
        while (packets.Count < 2)
        {
            var result = await pipe.Reader.ReadAsync();
            var buffer = result.Buffer;
            while (QuorumPackets.TryRead(ref buffer, out var packet)) packets.Add(packet!);
            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        }
        await feeding;
        Assert.That(packets.Select(p => (p.Type, p.Zxid)), Is.EqualTo(new[] { (newLeader.Type, newLeader.Zxid), (upToDate.Type, upToDate.Zxid) }));
        Assert.That(packets[0].Data, Is.EqualTo(newLeader.Data));
    }

    [Test]
    public async Task StreamPipeReaderHandsOnWhatFollows()
    {
        var script = TxnScript.EveryType();
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        var commit = QuorumPackets.Commit(0x100000005);
        var reader = PipeReader.Create(new MemoryStream([.. snap, .. QuorumPackets.Write(commit)]));

        await SnapStream.ReadAsync(reader, JuteLimits.Default, extendedTypesEnabled: true, CancellationToken.None);
        var result = await reader.ReadAsync();
        var buffer = result.Buffer;
        Assert.That(QuorumPackets.TryRead(ref buffer, out var packet), Is.True);
        Assert.That((packet!.Type, packet.Zxid), Is.EqualTo((commit.Type, commit.Zxid)));
        Assert.That(buffer.IsEmpty, Is.True);
        reader.AdvanceTo(buffer.End);
        await reader.CompleteAsync();
    }

    [TestCase("BenWasHerE")]
    [TestCase("Ben")]
    [TestCase("")]
    [TestCase(null)]
    public async Task WrongSignatureIsRejected(string? signature)
    {
        var script = TxnScript.EveryType();
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        byte[] bad = [.. snap[..^SignatureBytes.Length], .. UString(signature)];

        var e = Assert.ThrowsAsync<CorruptDataException>(() => ReadFromBytes(bad));
        Assert.Multiple(() =>
        {
            Assert.That(e!.Reason, Does.Contain("Missing signature"));
            Assert.That(e.Reason, Does.EndWith(signature ?? "null"));
            Assert.That(e.Offset, Is.EqualTo(snap.Length - SignatureBytes.Length));
            Assert.That(e.FilePath, Is.EqualTo(SnapStream.SourceName));
        });
    }

    [Test]
    public async Task TruncationAnywhereIsReported()
    {
        var script = TxnScript.EveryType();
        script.Create("/data", new byte[300]);
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        for (int cut = 0; cut < snap.Length; cut++)
        {
            var e = Assert.ThrowsAsync<CorruptDataException>(() => ReadFromBytes(snap[..cut]), $"cut at {cut}");
            Assert.That(e!.Reason, Does.StartWith("stream ended inside the"), $"cut at {cut}");
            Assert.That(e.Offset, Is.LessThanOrEqualTo(cut), $"cut at {cut}");
        }
    }

    [TestCase(2, "session list")]
    [TestCase(-20, "node list")]
    [TestCase(-3, "signature")]
    public async Task TruncationNamesTheSection(int cut, string section)
    {
        var script = TxnScript.EveryType();
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        byte[] part = cut >= 0 ? snap[..cut] : snap[..^(-cut)];
        var e = Assert.ThrowsAsync<CorruptDataException>(() => ReadFromBytes(part));
        Assert.That(e!.Reason, Is.EqualTo($"stream ended inside the {section}"));
    }

    [Test]
    public async Task ConnectionClosedMidStreamIsReported()
    {
        var script = TxnScript.EveryType();
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(snap.AsMemory(0, snap.Length / 2));
        var reading = SnapStream.ReadAsync(pipe.Reader, JuteLimits.Default, extendedTypesEnabled: true, CancellationToken.None);
        await pipe.Writer.CompleteAsync();
        Assert.ThrowsAsync<CorruptDataException>(() => reading);
    }

    [Test]
    public async Task LengthOverJuteMaxBufferIsRejected()
    {
        var script = TxnScript.EveryType();
        script.Create("/big", new byte[5000]);
        byte[] snap = await WriteToBytes(script.Tree, script.Sessions);
        var e = Assert.ThrowsAsync<CorruptDataException>(() => ReadFromBytes(snap, new JuteLimits(maxBuffer: 1000)));
        Assert.That(e!.InnerException, Is.InstanceOf<JuteLengthException>());
    }

    [Test]
    public async Task LyingLengthIsRejectedBeforeItsBytesArrive()
    {
        // No sessions, no ACLs, then a node path claiming 2 GB; the connection stays open.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xf0, (byte)'/' });
        var e = Assert.ThrowsAsync<CorruptDataException>(() =>
            SnapStream.ReadAsync(pipe.Reader, JuteLimits.Default, extendedTypesEnabled: false, CancellationToken.None));
        Assert.Multiple(() =>
        {
            Assert.That(e!.InnerException, Is.InstanceOf<JuteLengthException>());
            Assert.That(e.Offset, Is.EqualTo(8));
        });
    }

    [Test]
    public void NodeBeforeItsParentIsRejected()
    {
        // No sessions, no ACLs, the root, then a node whose parent never came.
        var writer = new ArrayBufferWriter<byte>();
        var jute = new JuteWriter(writer);
        jute.WriteInt(0);
        jute.WriteInt(0);
        foreach (string path in new[] { "", "/a/b" })
        {
            jute.WriteUString(path);
            jute.WriteBuffer([]);
            jute.WriteLong(-1);
            new StatPersisted().Serialize(ref jute);
        }
        jute.WriteUString("/");
        jute.WriteUString(SnapStream.Signature);
        jute.Flush();
        var e = Assert.ThrowsAsync<CorruptDataException>(() => ReadFromBytes(writer.WrittenSpan.ToArray()));
        Assert.That(e!.Reason, Does.Contain("unable to find parent /a"));
    }

    [Test]
    public async Task CancellingTheReadStopsIt()
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0, 0 });
        using var cts = new CancellationTokenSource();
        var reading = SnapStream.ReadAsync(pipe.Reader, JuteLimits.Default, extendedTypesEnabled: false, cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await reading, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test]
    public async Task HundredThousandNodesStreamThroughABoundedBuffer()
    {
        var script = new TxnScript();
        for (long s = 1; s <= 5_000; s++) script.Sessions[0x500000000 + s] = (int)(4_000 + s);
        var random = new Random(17);
        for (int p = 0; p < 100; p++) script.Create($"/p{p}", [(byte)p]);
        for (int i = 0; i < 100_000; i++)
        {
            var data = new byte[random.Next(0, 120)];
            random.NextBytes(data);
            script.Create($"/p{i % 100}/n{i:D7}", data);
        }

        var pipe = new Pipe(RoomyPipe);
        var recorder = new WriteRecordingStream(pipe.Writer.AsStream());
        var writing = Task.Run(async () =>
        {
            await SnapStream.WriteAsync(recorder, script.Tree, script.Sessions, CancellationToken.None);
            await pipe.Writer.WriteAsync(QuorumPackets.Write(QuorumPackets.Commit(7)));
        });
        var loaded = await SnapStream.ReadAsync(pipe.Reader, JuteLimits.Default, extendedTypesEnabled: true, CancellationToken.None);
        await writing;

        AssertSameDatabase(loaded, script.Tree, script.Sessions);
        Assert.That(loaded.Tree.NodeCount, Is.EqualTo(100_000 + 100 + 5));
        Assert.Multiple(() =>
        {
            // Written in pieces, never as one buffer of the whole tree.
            Assert.That(recorder.Writes, Is.GreaterThan(50));
            Assert.That(recorder.LargestWrite, Is.LessThan(64 * 1024 + 1024));
            Assert.That(recorder.Flushes, Is.EqualTo(1));
        });

        var result = await pipe.Reader.ReadAsync();
        var buffer = result.Buffer;
        Assert.That(QuorumPackets.TryRead(ref buffer, out var packet), Is.True);
        Assert.That(packet!.Zxid, Is.EqualTo(7));
        pipe.Reader.AdvanceTo(buffer.Start);
    }

    [Test]
    public async Task TreeChangedWhileWrittenStillLoads()
    {
        var script = new TxnScript();
        script.Create("/a");
        script.Create("/b");
        for (int i = 0; i < 1000; i++)
        {
            script.Create($"/a/n{i}", new byte[100]);
            script.Create($"/b/n{i}", new byte[100]);
        }

        // After the first piece leaves, half the tree goes and new nodes come, as txns applied
        // meanwhile would do on a leader.
        var output = new MemoryStream();
        var changing = new WriteRecordingStream(output, onFirstWrite: () =>
        {
            for (int i = 0; i < 1000; i++) script.Delete($"/b/n{i}");
            script.Delete("/b");
            for (int i = 0; i < 100; i++) script.Create($"/a/new{i}", [1]);
        });
        await SnapStream.WriteAsync(changing, script.Tree, [], CancellationToken.None);

        var loaded = await ReadFromBytes(output.ToArray());
        var tree = loaded.Tree;
        Assert.Multiple(() =>
        {
            for (int i = 0; i < 1000; i++) Assert.That(tree.GetNode($"/a/n{i}"), Is.Not.Null);
            Assert.That(tree.TreeDigest, Is.EqualTo(tree.ComputeTreeDigest()));
            Assert.That(tree.CachedApproximateDataSize, Is.EqualTo(tree.ApproximateDataSize()));
            // Whatever of /b made it in is a consistent tree: every child listed exists.
            if (tree.GetNode("/b") is { } b)
            {
                foreach (string child in b.Children) Assert.That(tree.GetNode("/b/" + child), Is.Not.Null);
            }
        });
    }

    private static byte[] UString(string? value)
    {
        if (value is null) return [0xff, 0xff, 0xff, 0xff];
        byte[] text = Encoding.UTF8.GetBytes(value);
        var bytes = new byte[4 + text.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, text.Length);
        text.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>Passes writes on, counting them and their sizes.</summary>
    private sealed class WriteRecordingStream(Stream inner, Action? onFirstWrite = null) : Stream
    {
        private Action? _onFirstWrite = onFirstWrite;

        public int Writes { get; private set; }

        public int LargestWrite { get; private set; }

        public int Flushes { get; private set; }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes++;
            LargestWrite = Math.Max(LargestWrite, buffer.Length);
            await inner.WriteAsync(buffer, cancellationToken);
            var action = _onFirstWrite;
            _onFirstWrite = null;
            action?.Invoke();
        }

        public override void Write(byte[] buffer, int offset, int count) =>
            WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            await inner.FlushAsync(cancellationToken);
        }

        public override void Flush() => Flushes++;
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
